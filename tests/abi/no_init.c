/* Missing the required init callback. */
#define T_INIT NULL
#define T_NAME "abi-no-init"
#include "abi_plugin.h"
