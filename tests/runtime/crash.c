/*
 * crash.c - kill -9 the daemon at 20+ random points while 10,000 records flow from a
 * polling source to a counting sink, restarting it each time. At the end every record
 * was delivered at least once and acknowledged exactly once (the outbox's persisted
 * acked_total equals 10,000 and nothing is left queued), and SIGTERM stops the daemon
 * within its shutdown timeout.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "outbox.h"
#include "tap.h"

#define TOTAL 10000
#define KILLS 22

static char tmp[256], bin[4096], confd[400], outf[400];

static pid_t start_daemon(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		char logp[512];
		snprintf(logp, sizeof(logp), "%s/daemon.log", tmp);
		FILE *lf = freopen(logp, "a", stderr);
		(void)lf;
		execl(bin, "backhaul", "-c", confd, "run", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void pause_ms(long ms)
{
	/* the random point at which the daemon is killed */
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static struct bh_outbox_stats stats(uint64_t *queued)
{
	struct bh_outbox_stats st;
	memset(&st, 0, sizeof(st));
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/state", tmp);
	struct bh_outbox_opts oo = {.dir = dir};
	struct bh_outbox *ob;
	*queued = UINT64_MAX;
	if (bh_outbox_open(&oo, &ob) == 0) {
		bh_outbox_stats(ob, &st, NULL, NULL);
		*queued = st.records;
		bh_outbox_close(ob);
	}
	return st;
}

int main(void)
{
	const char *top = getenv("BH_TOP_BUILDDIR");
	if (!top || !getenv("BH_PLUGIN_PATH"))
		skip_all("run through make check (BH_TOP_BUILDDIR, BH_PLUGIN_PATH)");
	snprintf(bin, sizeof(bin), "%s/backhaul", top);
	snprintf(tmp, sizeof(tmp), "/tmp/bh-crash-XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	snprintf(confd, sizeof(confd), "%s/conf.d", tmp);
	snprintf(outf, sizeof(outf), "%s/sink.out", tmp);
	mkdir(confd, 0700);
	char p[512];
	snprintf(p, sizeof(p), "%s/10-crash.conf", confd);
	FILE *fp = fopen(p, "w");
	fprintf(fp,
		"[engine]\nstate_dir = %s/state\nhttp_enabled = false\nworkers = 4\nlog_level = warn\n"
		"shutdown_timeout = 5s\n\n"
		"[endpoint src]\nplugin = mock-source\nper_poll = 250\ntotal = %d\npoll_interval = 1s\n\n"
		"[flow sink]\nplugin = mock-sink\nsubscribe = mock.record\nconcurrency = 4\nbatch = 64\n"
		"out_file = %s\n",
		tmp, TOTAL, outf);
	fclose(fp);

	unsigned seed = (unsigned)time(NULL);
	const char *se = getenv("BH_CRASH_SEED");
	if (se)
		seed = (unsigned)strtoul(se, NULL, 10);
	srand(seed);
	diag("kill points from seed %u (set BH_CRASH_SEED to repeat)", seed);

	int kills = 0;
	for (int i = 0; i < KILLS; i++) {
		pid_t pid = start_daemon();
		pause_ms(40 + rand() % 360);
		if (kill(pid, SIGKILL) == 0)
			kills++;
		int status;
		waitpid(pid, &status, 0);
	}
	ok(kills >= 20, "daemon killed with SIGKILL at %d random points", kills);

	pid_t pid = start_daemon();
	int64_t dl = tap_mono_ms() + 120000;
	struct bh_outbox_stats st;
	uint64_t stored = 0;
	do {
		pause_ms(100);
		st = stats(&stored);
	} while (!(st.acked_total >= TOTAL && stored == 0) && tap_mono_ms() < dl);

	int64_t t0 = tap_mono_ms();
	kill(pid, SIGTERM);
	int status = 0;
	waitpid(pid, &status, 0);
	int64_t stop_ms = tap_mono_ms() - t0;
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "SIGTERM: clean exit (status %d)", status);
	ok(stop_ms < 6000, "SIGTERM stopped the daemon in %lld ms (shutdown_timeout 5s)",
	   (long long)stop_ms);

	st = stats(&stored);
	is_int((long long)st.acked_total, TOTAL, "acknowledged exactly once each: acked_total == %d",
	       TOTAL);
	is_int((long long)stored, 0, "nothing left in the outbox");

	static unsigned char seen[TOTAL + 1];
	long lines = 0, distinct = 0;
	fp = fopen(outf, "r");
	char line[256];
	while (fp && fgets(line, sizeof(line), fp)) {
		long n = 0;
		if (sscanf(line, "rec-%ld", &n) == 1 && n >= 1 && n <= TOTAL) {
			lines++;
			if (!seen[n]++)
				distinct++;
		}
	}
	if (fp)
		fclose(fp);
	is_int(distinct, TOTAL, "every one of the %d records was delivered at least once", TOTAL);
	ok(lines >= TOTAL, "deliveries counted: %ld (redeliveries after kills: %ld)", lines,
	   lines - TOTAL);

	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		diag("could not remove %s", tmp);
	return done_testing();
}
