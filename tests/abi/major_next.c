/* Built for the next ABI major. */
#define T_MAJOR (BH_ABI_MAJOR + 1)
#define T_NAME "abi-major-next"
#include "abi_plugin.h"
