/*
 * cli.h - subcommands of the `backhaul` command (cli_*.c).
 * Each returns a sysexits(3) code. Single-threaded except `run`.
 */
#ifndef BH_CLI_H
#define BH_CLI_H

#include <stdbool.h>

#include "engine.h"

#define BH_EX_USAGE 64
#define BH_EX_DATAERR 65
#define BH_EX_NOINPUT 66
#define BH_EX_UNAVAILABLE 69
#define BH_EX_SOFTWARE 70
#define BH_EX_IOERR 74
#define BH_EX_TEMPFAIL 75
#define BH_EX_CONFIG 78

struct bh_cli_globals {
	const char *conf_dir;
	const char *state_dir;
};

typedef int (*bh_cli_fn)(const struct bh_cli_globals *g, int argc, char **argv);

struct bh_cli_cmd {
	const char *name;
	bh_cli_fn fn;
	const char *help;
};

const char *bh_cli_default_conf_dir(void);
/** True when argv holds -h or --help. */
bool bh_cli_wants_help(int argc, char **argv);
/** Resolve the state directory: --state-dir, else [engine] state_dir of conf_dir. */
int bh_cli_state_dir(const struct bh_cli_globals *g, char *buf, size_t len);
/** Open the outbox of the state directory (read/write, no routing). */
int bh_cli_open_outbox(const struct bh_cli_globals *g, struct bh_outbox **out);

int bh_cli_run(const struct bh_cli_globals *g, int argc, char **argv);
int bh_cli_check_config(const struct bh_cli_globals *g, int argc, char **argv);
int bh_cli_sync(const struct bh_cli_globals *g, int argc, char **argv);
int bh_cli_status(const struct bh_cli_globals *g, int argc, char **argv);
int bh_cli_log(const struct bh_cli_globals *g, int argc, char **argv);
int bh_cli_dead(const struct bh_cli_globals *g, int argc, char **argv);
int bh_cli_plugins(const struct bh_cli_globals *g, int argc, char **argv);
int bh_cli_test_connection(const struct bh_cli_globals *g, int argc, char **argv);
int bh_cli_report(const struct bh_cli_globals *g, int argc, char **argv);
int bh_cli_version(const struct bh_cli_globals *g, int argc, char **argv);
int bh_cli_demo(const struct bh_cli_globals *g, int argc, char **argv);

#endif
