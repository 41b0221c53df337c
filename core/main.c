/*
 * main.c - the `backhaul` command: dispatch to subcommands (cli_*.c).
 *
 * Exit codes follow sysexits(3): 0 ok, 64 usage, 65 bad data, 69 unavailable (no
 * daemon), 70 internal error, 74 I/O error, 75 temporary failure, 78 configuration.
 * Secrets: core dumps are disabled at start (PR_SET_DUMPABLE 0, RLIMIT_CORE 0) so a
 * crash never writes configured secrets to disk; --help never prints values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli.h"

static const struct bh_cli_cmd cmds[] = {
	{"run", bh_cli_run, "run the engine (daemon in the foreground)"},
	{"check-config", bh_cli_check_config, "validate conf.d and exit"},
	{"sync", bh_cli_sync, "ask the running daemon to poll now"},
	{"status", bh_cli_status, "show instances, queues and dead letters"},
	{"log", bh_cli_log, "show the per-cycle sync log"},
	{"dead", bh_cli_dead, "list, show, replay or drop dead letters"},
	{"plugins", bh_cli_plugins, "list installed plugins or describe one"},
	{"test-connection", bh_cli_test_connection, "check an endpoint's reachability, login, permissions"},
	{"report", bh_cli_report, "show one order's chain across storefront, portal and ERP"},
	{"demo", bh_cli_demo, "play a day of orders and returns against the bundled simulators"},
	{"version", bh_cli_version, "print version and plugin ABI"},
	{NULL, NULL, NULL},
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: backhaul [-c CONF_DIR] [--state-dir DIR] COMMAND [ARGS]\n\n"
		    "Backhaul moves returns, exchanges, refunds and cancellations between\n"
		    "Shopify, Loop Returns and NetSuite, exactly once.\n\ncommands:\n");
	for (const struct bh_cli_cmd *c = cmds; c->name; c++)
		fprintf(fp, "  %-14s %s\n", c->name, c->help);
	fprintf(fp, "\noptions:\n"
		    "  -c, --config DIR   configuration directory (default: $BACKHAUL_CONF_DIR or %s)\n"
		    "  --state-dir DIR    override [engine] state_dir\n"
		    "  -h, --help         this help; `backhaul COMMAND --help` for a command\n",
		bh_cli_default_conf_dir());
}

int main(int argc, char **argv)
{
	/* Secrets must never reach a core dump of the CLI or the daemon. */
	struct rlimit rl = {0, 0};
	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	struct bh_cli_globals g = {.conf_dir = NULL, .state_dir = NULL};
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc) {
			g.conf_dir = argv[++i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			g.conf_dir = a + 9;
		} else if (strcmp(a, "--state-dir") == 0 && i + 1 < argc) {
			g.state_dir = argv[++i];
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0) {
			return bh_cli_version(&g, 0, NULL);
		} else if (a[0] == '-') {
			fprintf(stderr, "backhaul: unknown option '%s'\n", a);
			usage(stderr);
			return BH_EX_USAGE;
		} else {
			break;
		}
	}
	if (!g.conf_dir)
		g.conf_dir = bh_cli_default_conf_dir();
	if (i >= argc) {
		usage(stderr);
		return BH_EX_USAGE;
	}
	for (const struct bh_cli_cmd *c = cmds; c->name; c++)
		if (strcmp(c->name, argv[i]) == 0)
			return c->fn(&g, argc - i - 1, argv + i + 1);
	fprintf(stderr, "backhaul: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return BH_EX_USAGE;
}
