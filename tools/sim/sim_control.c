/*
 * sim_control.c - the control port: routing and the framework's own operations.
 *
 * Purpose: every request on the control port is /control/...; the framework answers
 *   GET    /control/health            {"status":"ok","services":[...],"ports":{...}}
 *   GET    /control/ports             {"shopify":P,"loop":P,"netsuite":P,"control":P}
 *   POST   /control/faults            a rule (see sim_faults.c) -> {"id":N}
 *   GET    /control/faults            {"faults":[rule + "matched","injected"...]}
 *   DELETE /control/faults            clear all -> {"cleared":true}
 *   DELETE /control/faults/<id>       -> {"deleted":id} | 404
 *   POST   /control/faults/seed       {"seed":N} -> {"seed":N} (fault PRNG)
 *   POST   /control/seed              seed options (sim_seed.h) -> what was created;
 *                                     the same seed twice is refused by Shopify (409:
 *                                     the order ids exist), NetSuite items are updated
 *   GET    /control/webhooks[?wait_ms=N]  delivery counters (+ recent deliveries);
 *                                     with wait_ms, first waits until nothing is pending
 *                                     (at most N ms); "idle" tells whether it is
 *   /control/<service>/<rest>         the service's control handler, path "/<rest>"
 * Errors are {"error":"message"} with 400/404/405.
 *
 * Threading: stateless; runs on the control port's MHD threads or in-process.
 */
#include "sim.h"
#include "sim_seed.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

__attribute__((format(printf, 3, 4))) static void ctl_error(struct bh_sim_resp *resp,
								 int status, const char *fmt, ...)
{
	char msg[512];
	struct json_object *o = json_object_new_object();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "error", json_object_new_string(msg));
	bh_sim_resp_json(resp, status, o);
}

static struct json_object *parse_body(const struct bh_sim_req *req, struct bh_sim_resp *resp,
				      bool allow_empty)
{
	struct json_object *j;
	enum json_tokener_error jerr = json_tokener_success;

	if (req->body_len == 0 && allow_empty)
		return json_object_new_object();
	j = json_tokener_parse_verbose(req->body, &jerr);
	if (!j || !json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		ctl_error(resp, 400, "the body must be a JSON object (%s)",
		      jerr != json_tokener_success ? json_tokener_error_desc(jerr) : "not an object");
		return NULL;
	}
	return j;
}

static void do_faults(const struct bh_sim_req *req, const char *rest, struct bh_sim_resp *resp)
{
	char err[256] = "";

	if (*rest == '\0') {
		if (strcmp(req->method, "GET") == 0) {
			bh_sim_resp_json(resp, 200, bh_sim_faults_list());
		} else if (strcmp(req->method, "DELETE") == 0) {
			struct json_object *o = json_object_new_object();

			bh_sim_faults_clear();
			json_object_object_add(o, "cleared", json_object_new_boolean(1));
			bh_sim_resp_json(resp, 200, o);
		} else if (strcmp(req->method, "POST") == 0) {
			struct json_object *spec = parse_body(req, resp, false), *o;
			int id;

			if (!spec)
				return;
			id = bh_sim_faults_add(spec, err, sizeof(err));
			json_object_put(spec);
			if (id < 0) {
				ctl_error(resp, 400, "%s", err);
				return;
			}
			o = json_object_new_object();
			json_object_object_add(o, "id", json_object_new_int(id));
			bh_sim_resp_json(resp, 200, o);
		} else {
			ctl_error(resp, 405, "method %s not allowed on /control/faults", req->method);
		}
		return;
	}
	if (strcmp(rest, "/seed") == 0) {
		struct json_object *j, *v = NULL, *o;

		if (strcmp(req->method, "POST") != 0) {
			ctl_error(resp, 405, "method %s not allowed", req->method);
			return;
		}
		j = parse_body(req, resp, false);
		if (!j)
			return;
		if (!json_object_object_get_ex(j, "seed", &v) ||
		    !json_object_is_type(v, json_type_int)) {
			json_object_put(j);
			ctl_error(resp, 400, "seed must be an integer");
			return;
		}
		bh_sim_faults_seed((uint64_t)json_object_get_int64(v));
		o = json_object_new_object();
		json_object_object_add(o, "seed", json_object_get(v));
		json_object_put(j);
		bh_sim_resp_json(resp, 200, o);
		return;
	}
	if (rest[0] == '/' && strcmp(req->method, "DELETE") == 0) {
		char *end = NULL;
		long id = strtol(rest + 1, &end, 10);
		struct json_object *o;

		if (!end || *end || id <= 0 || bh_sim_faults_remove((int)id) != 0) {
			ctl_error(resp, 404, "no fault rule %s", rest + 1);
			return;
		}
		o = json_object_new_object();
		json_object_object_add(o, "deleted", json_object_new_int((int)id));
		bh_sim_resp_json(resp, 200, o);
		return;
	}
	ctl_error(resp, 404, "no such control operation: faults%s", rest);
}

static void do_seed(const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	struct bh_sim_seed_opts o;
	struct json_object *j, *data, *result = NULL;
	char err[512] = "";

	if (strcmp(req->method, "POST") != 0) {
		ctl_error(resp, 405, "method %s not allowed on /control/seed", req->method);
		return;
	}
	j = parse_body(req, resp, true);
	if (!j)
		return;
	bh_sim_seed_defaults(&o);
	if (bh_sim_seed_opts_from_json(&o, j, err, sizeof(err)) != 0) {
		json_object_put(j);
		ctl_error(resp, 400, "%s", err);
		return;
	}
	json_object_put(j);
	data = bh_sim_seed_generate(&o, err, sizeof(err));
	if (!data) {
		ctl_error(resp, 400, "%s", err);
		return;
	}
	if (bh_sim_seed_apply(data, &result, err, sizeof(err)) != 0) {
		json_object_put(data);
		ctl_error(resp, 409, "seed not applied: %s", err);
		return;
	}
	json_object_put(data);
	bh_sim_resp_json(resp, 200, result);
}

static void do_webhooks(const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	char *wait = bh_sim_req_query(req, "wait_ms");
	struct json_object *o;
	bool idle = true, waited = wait != NULL;

	if (strcmp(req->method, "GET") != 0) {
		free(wait);
		ctl_error(resp, 405, "method %s not allowed on /control/webhooks", req->method);
		return;
	}
	if (wait) {
		char *end = NULL;
		long ms = strtol(wait, &end, 10);

		if (!end || *end || ms < 0 || ms > 600000) {
			ctl_error(resp, 400, "wait_ms must be 0..600000, not '%s'", wait);
			free(wait);
			return;
		}
		idle = bh_sim_webhook_wait_idle((int)ms);
		free(wait);
	}
	o = bh_sim_webhook_stats_json();
	if (!waited) {
		struct bh_sim_webhook_stats st;

		bh_sim_webhook_stats(&st);
		idle = st.pending == 0;
	}
	json_object_object_add(o, "idle", json_object_new_boolean(idle));
	bh_sim_resp_json(resp, 200, o);
}

static void do_service(const struct bh_sim_req *req, const char *rest,
		       struct bh_sim_resp *resp)
{
	char name[64];
	const char *slash = strchr(rest, '/');
	size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
	const struct bh_sim_service *svc;
	struct bh_sim_req sub;
	char base_url[64] = "";
	uint16_t port;

	if (len == 0 || len >= sizeof(name)) {
		ctl_error(resp, 404, "no such control operation");
		return;
	}
	memcpy(name, rest, len);
	name[len] = '\0';
	svc = bh_sim_registry_service(name);
	if (!svc || !svc->control) {
		ctl_error(resp, 404, "no such service or control operation '%s'", name);
		return;
	}
	port = bh_sim_registry_port(name);
	if (port)
		snprintf(base_url, sizeof(base_url), "http://127.0.0.1:%u", (unsigned)port);
	sub = *req;
	sub.path = slash ? slash : "/";
	sub.base_url = base_url;
	svc->control(bh_sim_registry_state(name), &sub, resp);
	if (resp->status == 0) {
		bh_sim_resp_clear(resp);
		ctl_error(resp, 500, "the %s control handler set no status", name);
	}
}

void bh_sim_control_route(const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	const char *p = req->path;

	if (strncmp(p, "/control", 8) != 0 || (p[8] != '/' && p[8] != '\0')) {
		ctl_error(resp, 404, "not a control path: %s", p);
		return;
	}
	p += 8;
	if (*p == '/')
		p++;
	if (strcmp(p, "health") == 0) {
		struct json_object *o = bh_sim_registry_names_json();

		json_object_object_add(o, "status", json_object_new_string("ok"));
		json_object_object_add(o, "ports", bh_sim_registry_ports_json());
		bh_sim_resp_json(resp, 200, o);
	} else if (strcmp(p, "ports") == 0) {
		bh_sim_resp_json(resp, 200, bh_sim_registry_ports_json());
	} else if (strncmp(p, "faults", 6) == 0 && (p[6] == '\0' || p[6] == '/')) {
		do_faults(req, p + 6, resp);
	} else if (strcmp(p, "seed") == 0) {
		do_seed(req, resp);
	} else if (strcmp(p, "webhooks") == 0) {
		do_webhooks(req, resp);
	} else {
		do_service(req, p, resp);
	}
}

static void control_handle(void *svc, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	(void)svc;
	bh_sim_control_route(req, resp);
}

const struct bh_sim_service bh_sim_control_service = {
	.name = "control",
	.create = NULL,
	.handle = control_handle,
	.control = NULL,
	.destroy = NULL,
	.op_name = NULL,
	.fault = NULL,
};
