/* Wrong magic number. */
#define T_MAGIC 0xdeadbeefu
#define T_NAME "abi-bad-magic"
#include "abi_plugin.h"
