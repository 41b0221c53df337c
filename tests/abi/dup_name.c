/* Same name as good.c: the second one loaded is refused as a duplicate. */
#define T_VERSION "2.0"
#include "abi_plugin.h"
