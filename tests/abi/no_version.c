/* Missing the required version string. */
#define T_VERSION NULL
#define T_NAME "abi-no-version"
#include "abi_plugin.h"
