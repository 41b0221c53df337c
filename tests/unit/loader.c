/*
 * loader.c - the plugin loader refuses broken plugins with one clear line each and
 * carries on with the others (tests/abi/ builds the broken plugins).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"
#include "log.h"
#include "tap.h"

static char logbuf[65536];

static void read_log(const char *path)
{
	FILE *fp = fopen(path, "r");
	size_t n = fp ? fread(logbuf, 1, sizeof(logbuf) - 1, fp) : 0;
	logbuf[n] = '\0';
	if (fp)
		fclose(fp);
}

/* The log line (without timestamp) mentioning `needle`, or NULL. */
static const char *line_with(const char *needle)
{
	static char line[1024];
	const char *p = strstr(logbuf, needle);
	if (!p)
		return NULL;
	const char *s = p;
	while (s > logbuf && s[-1] != '\n')
		s--;
	const char *e = strchr(p, '\n');
	size_t len = e ? (size_t)(e - s) : strlen(s);
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	memcpy(line, s, len);
	line[len] = '\0';
	return line;
}

static int count_lines_with(const char *needle)
{
	int n = 0;
	for (const char *p = logbuf; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

int main(void)
{
	const char *top = getenv("BH_TOP_BUILDDIR");
	if (!top)
		skip_all("BH_TOP_BUILDDIR is not set (run through make check)");
	char dir[4096], logpath[] = "/tmp/bh-loader-log-XXXXXX", path[8192];
	snprintf(dir, sizeof(dir), "%s/tests/abi/.libs", top);
	int fd = mkstemp(logpath);
	close(fd);
	bh_log_open(logpath);
	bh_log_set_level(BH_LOG_DEBUG);

	/* a relative directory and the current directory are never searched */
	snprintf(path, sizeof(path), ".:tests/abi/.libs:%s", dir);
	struct bh_loader *ld = NULL;
	is_int(bh_loader_load(path, &ld), 0, "loader runs over a directory of broken plugins");
	read_log(logpath);

	const struct bh_plugin *good = bh_loader_find(ld, "abi-good");
	ok(good != NULL, "a correct plugin is loaded");
	is_int((long long)ld->n, 1, "exactly one plugin is accepted");
	ok(ld->refused >= 6, "the broken ones are refused (%u)", ld->refused);
	ok(count_lines_with("not absolute; ignored") == 2, "relative plugin directories are ignored");

	const char *l = line_with("bad_magic.so");
	ok(l && strstr(l, "not a Backhaul plugin") && strstr(l, "0xdeadbeef") && strstr(l, "error"),
	   "wrong magic: one error line naming the file and the magic: %s", l ? l : "(none)");

	char want[128];
	snprintf(want, sizeof(want), "ABI %d.%d is incompatible with engine ABI %d.%d", BH_ABI_MAJOR + 1,
		 BH_ABI_MINOR, BH_ABI_MAJOR, BH_ABI_MINOR);
	l = line_with("major_next.so");
	ok(l && strstr(l, "'abi-major-next'") && strstr(l, want),
	   "major mismatch names plugin, path and both versions: %s", l ? l : "(none)");

	snprintf(want, sizeof(want), "ABI %d.%d is newer than engine ABI %d.%d", BH_ABI_MAJOR,
		 BH_ABI_MINOR + 1, BH_ABI_MAJOR, BH_ABI_MINOR);
	l = line_with("minor_next.so");
	ok(l && strstr(l, "'abi-minor-next'") && strstr(l, want),
	   "newer minor names plugin, path and both versions: %s", l ? l : "(none)");

	l = line_with("no_version.so");
	ok(l && strstr(l, "'abi-no-version'") && strstr(l, "field 'version' is missing"),
	   "missing version field is named: %s", l ? l : "(none)");
	l = line_with("no_init.so");
	ok(l && strstr(l, "field 'init' is missing"), "missing init callback is named: %s",
	   l ? l : "(none)");
	l = line_with("no_symbol.so");
	ok(l && strstr(l, "no bh_plugin_descriptor symbol"), "a library without descriptor: %s",
	   l ? l : "(none)");
	l = line_with("duplicate name");
	ok(l && strstr(l, "good.so") && strstr(l, "dup_name.so"),
	   "duplicate names: the later file is refused naming both paths: %s", l ? l : "(none)");
	ok(good && strstr(good->path, "dup_name.so") && strcmp(good->desc->version, "2.0") == 0,
	   "the first file in sorted order keeps the name");

	/* the descriptor check in isolation */
	struct bh_plugin_desc d = *good->desc;
	char msg[512];
	d.desc_size = 8;
	is_int(bh_plugin_check(&d, "/x.so", msg, sizeof(msg)), BH_EABI, "too small desc_size refused");
	d = *good->desc;
	d.name = "Bad Name";
	is_int(bh_plugin_check(&d, "/x.so", msg, sizeof(msg)), BH_EPLUGIN, "bad name syntax refused");
	d = *good->desc;
	d.kind = (enum bh_plugin_kind)7;
	is_int(bh_plugin_check(&d, "/x.so", msg, sizeof(msg)), BH_EPLUGIN, "unknown kind refused");
	d = *good->desc;
	d.deliver = NULL;
	is_int(bh_plugin_check(&d, "/x.so", msg, sizeof(msg)), BH_EPLUGIN, "a flow without deliver refused");

	bh_loader_free(ld);
	unlink(logpath);
	return done_testing();
}
