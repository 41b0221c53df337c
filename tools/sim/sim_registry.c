/*
 * sim_registry.c - the registry of simulated services and in-process control calls.
 *
 * Purpose: sim_main.c (or a test) registers each created service with its state; the
 * control port routes /control/<name>/... through it, and services reach each other
 * with bh_sim_control_call() instead of linking each other's symbols. It also records
 * the port each service (and the control port) listens on, for GET /control/ports and
 * for the base_url of in-process requests.
 *
 * Global state (documented exception): one process-wide table of at most
 * BH_SIM_MAX_SERVICES services and ports, guarded by `lock`. The table owns neither the
 * descriptors (static) nor the states (the caller destroys them).
 *
 * Threading: every function is thread-safe. A control handler runs WITHOUT the registry
 * lock held, so it may itself call bh_sim_control_call(). Registering or clearing while
 * requests are being served is the caller's responsibility to avoid (sim_main.c does it
 * before starting and after stopping the HTTP servers).
 */
#include "sim.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define BH_SIM_MAX_SERVICES 16
#define BH_SIM_NAME_MAX 32

struct reg_service {
	const struct bh_sim_service *svc;
	void *state;
};

struct reg_port {
	char name[BH_SIM_NAME_MAX];
	uint16_t port;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct reg_service services[BH_SIM_MAX_SERVICES];
static size_t n_services;
static struct reg_port ports[BH_SIM_MAX_SERVICES];
static size_t n_ports;

/* Caller holds lock. */
static struct reg_service *find_service(const char *name)
{
	for (size_t i = 0; i < n_services; i++)
		if (strcmp(services[i].svc->name, name) == 0)
			return &services[i];
	return NULL;
}

/* Caller holds lock. */
static struct reg_port *find_port(const char *name)
{
	for (size_t i = 0; i < n_ports; i++)
		if (strcmp(ports[i].name, name) == 0)
			return &ports[i];
	return NULL;
}

int bh_sim_registry_add(const struct bh_sim_service *svc, void *state)
{
	int rc = -1;

	if (!svc || !svc->name || !*svc->name || strlen(svc->name) >= BH_SIM_NAME_MAX ||
	    strcmp(svc->name, "control") == 0)
		return -1;
	pthread_mutex_lock(&lock);
	if (n_services < BH_SIM_MAX_SERVICES && !find_service(svc->name)) {
		services[n_services].svc = svc;
		services[n_services].state = state;
		n_services++;
		rc = 0;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

void *bh_sim_registry_state(const char *name)
{
	struct reg_service *r;
	void *state = NULL;

	if (!name)
		return NULL;
	pthread_mutex_lock(&lock);
	r = find_service(name);
	if (r)
		state = r->state;
	pthread_mutex_unlock(&lock);
	return state;
}

const struct bh_sim_service *bh_sim_registry_service(const char *name)
{
	struct reg_service *r;
	const struct bh_sim_service *svc = NULL;

	if (!name)
		return NULL;
	pthread_mutex_lock(&lock);
	r = find_service(name);
	if (r)
		svc = r->svc;
	pthread_mutex_unlock(&lock);
	return svc;
}

void bh_sim_registry_clear(void)
{
	pthread_mutex_lock(&lock);
	memset(services, 0, sizeof(services));
	n_services = 0;
	memset(ports, 0, sizeof(ports));
	n_ports = 0;
	pthread_mutex_unlock(&lock);
}

void bh_sim_registry_set_port(const char *name, uint16_t port)
{
	struct reg_port *p;

	if (!name || strlen(name) >= BH_SIM_NAME_MAX)
		return;
	pthread_mutex_lock(&lock);
	p = find_port(name);
	if (port == 0) {
		if (p) {
			size_t i = (size_t)(p - ports);
			memmove(&ports[i], &ports[i + 1], (n_ports - i - 1) * sizeof(ports[0]));
			n_ports--;
		}
	} else if (p) {
		p->port = port;
	} else if (n_ports < BH_SIM_MAX_SERVICES) {
		snprintf(ports[n_ports].name, sizeof(ports[n_ports].name), "%s", name);
		ports[n_ports].port = port;
		n_ports++;
	}
	pthread_mutex_unlock(&lock);
}

uint16_t bh_sim_registry_port(const char *name)
{
	struct reg_port *p;
	uint16_t port = 0;

	if (!name)
		return 0;
	pthread_mutex_lock(&lock);
	p = find_port(name);
	if (p)
		port = p->port;
	pthread_mutex_unlock(&lock);
	return port;
}

struct json_object *bh_sim_registry_ports_json(void)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_ports; i++)
		json_object_object_add(o, ports[i].name, json_object_new_int(ports[i].port));
	pthread_mutex_unlock(&lock);
	return o;
}

struct json_object *bh_sim_registry_names_json(void)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();

	if (!o || !a) {
		json_object_put(o);
		json_object_put(a);
		return NULL;
	}
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_services; i++)
		json_object_array_add(a, json_object_new_string(services[i].svc->name));
	pthread_mutex_unlock(&lock);
	json_object_object_add(o, "services", a);
	return o;
}

int bh_sim_control_call(const char *svc, const char *method, const char *path,
			const char *query, const char *body, struct bh_sim_resp *resp)
{
	const struct bh_sim_service *desc = NULL;
	void *state = NULL;
	struct reg_service *r;
	struct reg_port *p;
	struct bh_sim_req req;
	char base_url[64] = "";
	char *path_copy = NULL;
	const char *q;

	if (!resp)
		return -1;
	memset(resp, 0, sizeof(*resp));
	if (!svc || !method || !path)
		return -1;
	pthread_mutex_lock(&lock);
	r = find_service(svc);
	if (r) {
		desc = r->svc;
		state = r->state;
	}
	p = find_port(svc);
	if (p)
		snprintf(base_url, sizeof(base_url), "http://127.0.0.1:%u", (unsigned)p->port);
	pthread_mutex_unlock(&lock);
	if (!desc || !desc->control)
		return -1;

	/* A query given inside the path ("/orders?name=%231001") is split off. */
	q = strchr(path, '?');
	if (q && !query) {
		path_copy = strndup(path, (size_t)(q - path));
		if (!path_copy)
			return -1;
		query = q + 1;
		path = path_copy;
	}
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.query = query ? query : "";
	req.headers = NULL;
	req.n_headers = 0;
	req.body = body ? body : "";
	req.body_len = body ? strlen(body) : 0;
	req.base_url = base_url;

	desc->control(state, &req, resp);
	if (resp->status == 0) {
		static const char msg[] = "{\"error\":\"control handler set no status\"}";

		bh_sim_resp_clear(resp);
		bh_sim_resp_text(resp, 500, "application/json", msg, sizeof(msg) - 1);
	}
	free(path_copy);
	return 0;
}

void bh_sim_resp_clear(struct bh_sim_resp *resp)
{
	if (!resp)
		return;
	free(resp->body);
	free(resp->content_type);
	for (size_t i = 0; i < resp->n_headers && i < 16; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	memset(resp, 0, sizeof(*resp));
}
