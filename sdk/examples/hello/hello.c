/*
 * hello.c - a complete, minimal Backhaul flow plugin.
 *
 * It subscribes to whatever topics its [flow NAME] section lists and appends one line
 * "TOPIC KEY BYTES" per record to the file named by its `path` setting. Build it out
 * of tree with nothing but the installed SDK:
 *
 *   cc -shared -fPIC $(pkg-config --cflags backhaul-sdk) -o hello.so hello.c
 *
 * Threading: deliver() can run on several worker threads at once when the flow's
 * `concurrency` is above 1; each line is one write(2) on an O_APPEND descriptor.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <backhaul/plugin.h>

struct hello {
	bh_instance *inst;
	const struct bh_host *host;
	const char *path;   /* filled by the engine from the config map below */
	int fd;
};

static int hello_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct hello *h = calloc(1, sizeof(*h));
	if (!h)
		return BH_ENOMEM;
	h->inst = inst;
	h->host = host;
	h->fd = -1;
	*ctx = h;
	return BH_OK;
}

static int hello_start(void *ctx)
{
	struct hello *h = ctx;
	h->fd = open(h->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (h->fd < 0) {
		bh_plg_error(h->host, h->inst, "cannot open %s", h->path);
		return BH_EIO;
	}
	bh_plg_info(h->host, h->inst, "writing to %s", h->path);
	return BH_OK;
}

static void hello_deliver(void *ctx, const bh_record *rec, bh_result *res)
{
	struct hello *h = ctx;
	size_t len = 0;
	h->host->rec_body(rec, &len);
	char line[512];
	int n = snprintf(line, sizeof(line), "%s %s %zu\n", h->host->rec_topic(rec),
			 h->host->rec_key(rec), len);
	if (n < 0 || write(h->fd, line, (size_t)n) != n)
		h->host->result_retry(res, 1000, "cannot write to %s", h->path); /* try again */
	/* otherwise the outcome stays "ok" and the engine acknowledges the record */
}

static void hello_stop(void *ctx)
{
	struct hello *h = ctx;
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

static void hello_destroy(void *ctx)
{
	hello_stop(ctx);
	free(ctx);
}

static const struct bh_cfg_entry hello_config[] = {
	{BH_CFG_STR, "path", NULL, BH_CFG_REQUIRED, offsetof(struct hello, path), 0, 0, NULL,
	 "file that receives one line per record"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "hello", .version = "1.0.0",
		 .description = "example flow: one line per record into a file",
		 .license = "MIT", .kind = BH_KIND_FLOW, .config = hello_config,
		 .init = hello_init, .start = hello_start, .stop = hello_stop,
		 .destroy = hello_destroy, .deliver = hello_deliver);
