/*
 * abi_plugin.h - shared bits of the deliberately broken test plugins (tests/abi/).
 * Each file defines bh_plugin_descriptor by hand with one defect selected by a macro.
 */
#include <stdlib.h>
#include <backhaul/plugin.h>

__attribute__((unused)) static int t_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	(void)inst;
	(void)host;
	*ctx = malloc(1);
	return *ctx ? BH_OK : BH_ENOMEM;
}

static void t_destroy(void *ctx)
{
	free(ctx);
}

static void t_deliver(void *ctx, const bh_record *rec, bh_result *res)
{
	(void)ctx;
	(void)rec;
	(void)res;
}

#ifndef T_MAGIC
#define T_MAGIC BH_PLUGIN_MAGIC
#endif
#ifndef T_MAJOR
#define T_MAJOR BH_ABI_MAJOR
#endif
#ifndef T_MINOR
#define T_MINOR BH_ABI_MINOR
#endif
#ifndef T_NAME
#define T_NAME "abi-good"
#endif
#ifndef T_VERSION
#define T_VERSION "1.0"
#endif
#ifndef T_INIT
#define T_INIT t_init
#endif

BH_EXPORT const struct bh_plugin_desc bh_plugin_descriptor = {
	.magic = T_MAGIC,
	.abi_major = T_MAJOR,
	.abi_minor = T_MINOR,
	.desc_size = sizeof(struct bh_plugin_desc),
	.name = T_NAME,
	.version = T_VERSION,
	.description = "ABI test plugin",
	.license = "MIT",
	.kind = BH_KIND_FLOW,
	.init = T_INIT,
	.destroy = t_destroy,
	.deliver = t_deliver,
};
