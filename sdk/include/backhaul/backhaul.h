/**
 * @file backhaul.h
 * @brief Umbrella header of the Backhaul SDK.
 */
#ifndef BACKHAUL_H
#define BACKHAUL_H
#include <backhaul/errors.h>
#include <backhaul/plugin.h>
#include <backhaul/capability.h>
#include <backhaul/storefront.h>
#include <backhaul/portal.h>
#include <backhaul/erp.h>
#include <backhaul/diag.h>
#endif
