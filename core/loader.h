/*
 * loader.h - finds, loads and checks plugins (libltdl).
 *
 * Every regular file named *.so in each directory of the search path is opened with
 * libltdl (local symbols), its one exported symbol `bh_plugin_descriptor` read and
 * checked: magic, ABI major equal, ABI minor not newer, desc_size, required fields
 * (name, version, description, kind, init, destroy; deliver for flows), name syntax,
 * unique names. A refused file is reported with one error line naming the plugin (when
 * readable), its path and both ABI versions; loading goes on with the others.
 * Directories come only from the explicit search path (the configured plugin_path,
 * $BH_PLUGIN_PATH, then the install directory); relative directories are refused and
 * the current directory is never searched. Symlinks and non-regular files are skipped.
 *
 * Threading: load once at start-up from the main thread (libltdl is not thread-safe).
 * Handles stay resident until bh_loader_free at exit.
 */
#ifndef BH_LOADER_H
#define BH_LOADER_H

#include <stddef.h>
#include <backhaul/plugin.h>

struct bh_plugin {
	const struct bh_plugin_desc *desc;
	char *path;
	void *handle;   /* lt_dlhandle */
};

struct bh_loader {
	struct bh_plugin *plugins;
	size_t n;
	unsigned refused;   /* files refused */
};

/**
 * Load every plugin found in the colon-separated directory list `path`.
 * Returns 0 (refusals are logged and counted in ->refused), BH_ENOMEM, BH_EPLUGIN when
 * libltdl cannot initialise.
 */
int bh_loader_load(const char *path, struct bh_loader **out);
const struct bh_plugin *bh_loader_find(const struct bh_loader *ld, const char *name);
void bh_loader_free(struct bh_loader *ld);

/**
 * Check a descriptor. On refusal writes one line into msg (without the "plugin" prefix
 * context beyond what is given) and returns BH_EABI (magic/version/size) or BH_EPLUGIN
 * (missing or bad fields). Exposed for tests.
 */
int bh_plugin_check(const struct bh_plugin_desc *d, const char *path, char *msg, size_t len);

const char *bh_kind_name(enum bh_plugin_kind kind);

#endif
