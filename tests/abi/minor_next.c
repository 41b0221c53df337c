/* Built for a newer ABI minor than the engine's. */
#define T_MINOR (BH_ABI_MINOR + 1)
#define T_NAME "abi-minor-next"
#include "abi_plugin.h"
