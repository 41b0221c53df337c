/* A correct plugin named abi-good. */
#include "abi_plugin.h"
