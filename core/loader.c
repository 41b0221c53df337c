/*
 * loader.c - plugin discovery, loading and descriptor checks (see loader.h).
 */
#include <dirent.h>
#include <errno.h>
#include <ltdl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "loader.h"
#include "log.h"

#define SUB "loader"

const char *bh_kind_name(enum bh_plugin_kind kind)
{
	switch (kind) {
	case BH_KIND_ENDPOINT: return "endpoint";
	case BH_KIND_FLOW: return "flow";
	default: return "unknown";
	}
}

static int name_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 63)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
	return 1;
}

int bh_plugin_check(const struct bh_plugin_desc *d, const char *path, char *msg, size_t len)
{
	if (d->magic != BH_PLUGIN_MAGIC) {
		snprintf(msg, len, "plugin file %s: not a Backhaul plugin (magic 0x%08x, expected 0x%08x)",
			 path, d->magic, BH_PLUGIN_MAGIC);
		return BH_EABI;
	}
	const char *nm = (d->name && *d->name) ? d->name : "?";
	if (d->abi_major != BH_ABI_MAJOR) {
		snprintf(msg, len, "plugin '%s' (%s): ABI %u.%u is incompatible with engine ABI %d.%d "
			 "(major differs); rebuild it against backhaul-sdk %d.x",
			 nm, path, d->abi_major, d->abi_minor, BH_ABI_MAJOR, BH_ABI_MINOR, BH_ABI_MAJOR);
		return BH_EABI;
	}
	if (d->abi_minor > BH_ABI_MINOR) {
		snprintf(msg, len, "plugin '%s' (%s): ABI %u.%u is newer than engine ABI %d.%d; "
			 "upgrade the engine or rebuild the plugin against backhaul-sdk %d.%d",
			 nm, path, d->abi_major, d->abi_minor, BH_ABI_MAJOR, BH_ABI_MINOR,
			 BH_ABI_MAJOR, BH_ABI_MINOR);
		return BH_EABI;
	}
	if (d->desc_size < offsetof(struct bh_plugin_desc, reserved)) {
		snprintf(msg, len, "plugin '%s' (%s): descriptor size %u is too small for ABI %u.%u "
			 "(engine ABI %d.%d needs %zu)", nm, path, d->desc_size, d->abi_major,
			 d->abi_minor, BH_ABI_MAJOR, BH_ABI_MINOR,
			 offsetof(struct bh_plugin_desc, reserved));
		return BH_EABI;
	}
	const char *missing = NULL;
	if (!d->name || !*d->name)
		missing = "name";
	else if (!d->version || !*d->version)
		missing = "version";
	else if (!d->description || !*d->description)
		missing = "description";
	else if (!d->license || !*d->license)
		missing = "license";
	else if (d->kind != BH_KIND_ENDPOINT && d->kind != BH_KIND_FLOW)
		missing = "kind";
	else if (!d->init)
		missing = "init";
	else if (!d->destroy)
		missing = "destroy";
	else if (d->kind == BH_KIND_FLOW && !d->deliver)
		missing = "deliver";
	if (missing) {
		snprintf(msg, len, "plugin '%s' (%s): required descriptor field '%s' is missing or invalid "
			 "(plugin ABI %u.%u, engine ABI %d.%d)", nm, path, missing, d->abi_major,
			 d->abi_minor, BH_ABI_MAJOR, BH_ABI_MINOR);
		return BH_EPLUGIN;
	}
	if (!name_ok(d->name)) {
		snprintf(msg, len, "plugin '%s' (%s): name must be 1-63 characters of [a-z0-9_-]",
			 nm, path);
		return BH_EPLUGIN;
	}
	return BH_OK;
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load one file; returns 0 when added, 1 when refused. */
static int load_file(struct bh_loader *ld, const char *path, lt_dladvise adv)
{
	char msg[768];
	lt_dlhandle h = lt_dlopenadvise(path, adv);
	if (!h) {
		const char *e = lt_dlerror();
		BH_LOG_ERROR(SUB, "plugin file %s: cannot be loaded: %s (check its dependencies with ldd)",
			     path, e ? e : "unknown error");
		return 1;
	}
	const struct bh_plugin_desc *d = lt_dlsym(h, "bh_plugin_descriptor");
	if (!d) {
		BH_LOG_ERROR(SUB, "plugin file %s: no bh_plugin_descriptor symbol; not a Backhaul plugin "
			     "(engine ABI %d.%d)", path, BH_ABI_MAJOR, BH_ABI_MINOR);
		lt_dlclose(h);
		return 1;
	}
	if (bh_plugin_check(d, path, msg, sizeof(msg)) != BH_OK) {
		BH_LOG_ERROR(SUB, "%s", msg);
		lt_dlclose(h);
		return 1;
	}
	const struct bh_plugin *dup = bh_loader_find(ld, d->name);
	if (dup) {
		BH_LOG_ERROR(SUB, "plugin '%s' (%s): duplicate name, already loaded from %s; ignored "
			     "(plugin ABI %u.%u, engine ABI %d.%d)", d->name, path, dup->path,
			     d->abi_major, d->abi_minor, BH_ABI_MAJOR, BH_ABI_MINOR);
		lt_dlclose(h);
		return 1;
	}
	struct bh_plugin *np = realloc(ld->plugins, (ld->n + 1) * sizeof(*np));
	if (!np) {
		lt_dlclose(h);
		return 1;
	}
	ld->plugins = np;
	np[ld->n].desc = d;
	np[ld->n].path = strdup(path);
	np[ld->n].handle = h;
	ld->n++;
	BH_LOG_DEBUG(SUB, "loaded %s plugin '%s' %s (ABI %u.%u) from %s", bh_kind_name(d->kind),
		     d->name, d->version, d->abi_major, d->abi_minor, path);
	return 0;
}

static void scan_dir(struct bh_loader *ld, const char *dir, lt_dladvise adv)
{
	if (dir[0] != '/') {
		BH_LOG_WARN(SUB, "plugin directory '%s' is not absolute; ignored", dir);
		return;
	}
	DIR *dp = opendir(dir);
	if (!dp) {
		if (errno != ENOENT)
			BH_LOG_WARN(SUB, "plugin directory %s: %s", dir, strerror(errno));
		return;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' || !ends_with(de->d_name, ".so"))
			continue;
		char **nn = realloc(names, (n + 1) * sizeof(*nn));
		if (!nn)
			break;
		names = nn;
		names[n++] = strdup(de->d_name);
	}
	closedir(dp);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (load_file(ld, path, adv))
				ld->refused++;
		}
		free(names[i]);
	}
	free(names);
}

int bh_loader_load(const char *path, struct bh_loader **out)
{
	struct bh_loader *ld = calloc(1, sizeof(*ld));
	if (!ld)
		return BH_ENOMEM;
	if (lt_dlinit() != 0) {
		BH_LOG_ERROR(SUB, "libltdl cannot initialise: %s", lt_dlerror());
		free(ld);
		return BH_EPLUGIN;
	}
	/* Never search the current directory or the user's LD paths implicitly. */
	lt_dlsetsearchpath(path ? path : "");
	lt_dladvise adv;
	lt_dladvise_init(&adv);
	lt_dladvise_local(&adv);
	char *copy = strdup(path ? path : "");
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
		if (*d)
			scan_dir(ld, d, adv);
	free(copy);
	lt_dladvise_destroy(&adv);
	*out = ld;
	return BH_OK;
}

const struct bh_plugin *bh_loader_find(const struct bh_loader *ld, const char *name)
{
	for (size_t i = 0; i < ld->n; i++)
		if (strcmp(ld->plugins[i].desc->name, name) == 0)
			return &ld->plugins[i];
	return NULL;
}

void bh_loader_free(struct bh_loader *ld)
{
	if (!ld)
		return;
	for (size_t i = 0; i < ld->n; i++) {
		lt_dlclose(ld->plugins[i].handle);
		free(ld->plugins[i].path);
	}
	free(ld->plugins);
	free(ld);
	lt_dlexit();
}
