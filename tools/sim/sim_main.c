/*
 * sim_main.c - the backhaul-sim program: Shopify, Loop and NetSuite simulators on
 * 127.0.0.1 plus a control port, in one process.
 *
 * Purpose: parse options (command line over an optional JSON config file), create and
 * register the services, start one HTTP daemon per service and the control daemon,
 * optionally apply seed data, print one JSON line {"shopify":P,"loop":P,"netsuite":P,
 * "control":P} on stdout (and atomically to --ports-file) once everything listens, then
 * wait for SIGTERM/SIGINT and stop cleanly (daemons, webhook thread, services).
 *
 * Config file (--config FILE.json), every key optional:
 *   {"ports":{"shopify":0,"loop":0,"netsuite":0,"control":0},
 *    "reference_dir":"...", "xsd":true, "seed":42 | {seed options, see sim_seed.h},
 *    "fault_seed":1, "faults":[rule, ...], "threads":0, "max_body":16777216,
 *    "webhooks":{"max_attempts":8,"backoff_initial_ms":200,"backoff_max_ms":8000,
 *                "timeout_ms":5000,"queue_max":10000},
 *    "shopify":{...}, "loop":{...}, "netsuite":{...}}   (passed to each create())
 * reference_dir and xsd are added to each service's options unless it sets its own.
 *
 * Threading: SIGINT/SIGTERM are blocked before any thread exists and taken with
 * sigwait() by the main thread; everything else runs on MHD / service threads.
 */
#include "sim.h"
#include "sim_seed.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#define N_SERVICES 3

static const struct bh_sim_service *const service_list[N_SERVICES] = {
	&bh_sim_service_shopify,
	&bh_sim_service_loop,
	&bh_sim_service_netsuite,
};

struct options {
	long port[N_SERVICES];          /* -1: not given on the command line */
	long control_port;
	const char *ports_file;
	const char *reference_dir;
	const char *config_file;
	int xsd;                        /* -1 unset, 0 off, 1 on */
	bool seed_given;
	uint64_t seed;
	bool print_seed;
	uint64_t print_seed_value;
	long threads;
};

static void usage(FILE *f)
{
	fputs("usage: backhaul-sim [options]\n"
	      "Simulated Shopify, Loop and NetSuite services on 127.0.0.1, with a control API.\n"
	      "\n"
	      "  --shopify-port P      Shopify Admin API port (0 = pick a free port; default)\n"
	      "  --loop-port P         Loop API port\n"
	      "  --netsuite-port P     NetSuite SOAP/REST port\n"
	      "  --control-port P      control API port (/control/...)\n"
	      "  --ports-file FILE     also write the ports line to FILE (atomically)\n"
	      "  --seed N              generate and load seed data N at start-up\n"
	      "  --print-seed N        print the seed data for N as JSON and exit\n"
	      "  --reference-dir DIR   reference data (default: the services' own default,\n"
	      "                        $BH_SHARED_DIR/reference)\n"
	      "  --no-xsd              do not validate SOAP requests against Oracle's XSD\n"
	      "  --threads N           HTTP threads per port (0 = one per connection; default)\n"
	      "  --config FILE.json    options file (see tools/sim/sim_main.c)\n"
	      "  --help                this text\n"
	      "\n"
	      "Prints {\"shopify\":P,\"loop\":P,\"netsuite\":P,\"control\":P} once listening;\n"
	      "stops on SIGTERM or SIGINT.\n",
	      f);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || !end || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_port(const char *s, long *out)
{
	uint64_t v;

	if (parse_u64(s, &v) != 0 || v > 65535)
		return -1;
	*out = (long)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const char *const port_flags[N_SERVICES] = {
		"--shopify-port", "--loop-port", "--netsuite-port",
	};

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool used = false;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		}
		if (strcmp(a, "--no-xsd") == 0) {
			o->xsd = 0;
			continue;
		}
		for (int s = 0; s < N_SERVICES; s++)
			if (strcmp(a, port_flags[s]) == 0) {
				if (parse_port(v, &o->port[s]) != 0)
					goto bad_value;
				used = true;
			}
		if (used) {
			i++;
			continue;
		}
		if (!v)
			goto bad_option;
		if (strcmp(a, "--control-port") == 0) {
			if (parse_port(v, &o->control_port) != 0)
				goto bad_value;
		} else if (strcmp(a, "--ports-file") == 0) {
			o->ports_file = v;
		} else if (strcmp(a, "--reference-dir") == 0) {
			o->reference_dir = v;
		} else if (strcmp(a, "--config") == 0) {
			o->config_file = v;
		} else if (strcmp(a, "--seed") == 0) {
			if (parse_u64(v, &o->seed) != 0 || o->seed > INT64_MAX)
				goto bad_value;
			o->seed_given = true;
		} else if (strcmp(a, "--print-seed") == 0) {
			if (parse_u64(v, &o->print_seed_value) != 0 ||
			    o->print_seed_value > INT64_MAX)
				goto bad_value;
			o->print_seed = true;
		} else if (strcmp(a, "--threads") == 0) {
			uint64_t t;

			if (parse_u64(v, &t) != 0 || t > 64)
				goto bad_value;
			o->threads = (long)t;
		} else {
			goto bad_option;
		}
		i++;
		continue;
bad_value:
		fprintf(stderr, "backhaul-sim: bad value for %s: '%s'\n", a, v ? v : "");
		return -1;
bad_option:
		fprintf(stderr, "backhaul-sim: unknown option or missing value: %s\n", a);
		usage(stderr);
		return -1;
	}
	return 0;
}

static long config_int(struct json_object *obj, const char *key, long def, long max)
{
	struct json_object *v;
	int64_t n;

	if (!obj || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return def;
	n = json_object_get_int64(v);
	return n < 0 || n > max ? def : (long)n;
}

static int write_ports_file(const char *path, const char *line)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	if (fprintf(f, "%s\n", line) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static struct json_object *service_opts(struct json_object *config, const char *name,
					const struct options *o)
{
	struct json_object *src = NULL, *dst = NULL, *v;

	if (config && json_object_object_get_ex(config, name, &src) &&
	    json_object_is_type(src, json_type_object)) {
		if (json_object_deep_copy(src, &dst, NULL) != 0)
			dst = NULL;
	}
	if (!dst)
		dst = json_object_new_object();
	if (!json_object_object_get_ex(dst, "reference_dir", NULL)) {
		const char *dir = o->reference_dir;

		if (!dir && config && json_object_object_get_ex(config, "reference_dir", &v) &&
		    json_object_is_type(v, json_type_string))
			dir = json_object_get_string(v);
		if (dir)
			json_object_object_add(dst, "reference_dir", json_object_new_string(dir));
	}
	if (!json_object_object_get_ex(dst, "xsd", NULL)) {
		int xsd = o->xsd;

		if (xsd < 0 && config && json_object_object_get_ex(config, "xsd", &v) &&
		    json_object_is_type(v, json_type_boolean))
			xsd = json_object_get_boolean(v);
		if (xsd >= 0)
			json_object_object_add(dst, "xsd", json_object_new_boolean(xsd));
	}
	return dst;
}

static int seed_options(struct json_object *config, const struct options *o, bool print,
			struct bh_sim_seed_opts *so, bool *wanted)
{
	struct json_object *v = NULL;
	char err[256] = "";

	bh_sim_seed_defaults(so);
	*wanted = false;
	if (config && json_object_object_get_ex(config, "seed", &v)) {
		if (json_object_is_type(v, json_type_int)) {
			so->seed = (uint64_t)json_object_get_int64(v);
			*wanted = true;
		} else if (json_object_is_type(v, json_type_object)) {
			if (bh_sim_seed_opts_from_json(so, v, err, sizeof(err)) != 0) {
				fprintf(stderr, "backhaul-sim: config seed: %s\n", err);
				return -1;
			}
			*wanted = true;
		} else if (!json_object_is_type(v, json_type_null)) {
			fprintf(stderr, "backhaul-sim: config seed must be a number or object\n");
			return -1;
		}
	}
	if (print) {
		so->seed = o->print_seed_value;
		*wanted = true;
	} else if (o->seed_given) {
		so->seed = o->seed;
		*wanted = true;
	}
	return 0;
}

static int print_seed(const struct bh_sim_seed_opts *so)
{
	char err[256] = "";
	struct json_object *data = bh_sim_seed_generate(so, err, sizeof(err));

	if (!data) {
		fprintf(stderr, "backhaul-sim: %s\n", err);
		return 1;
	}
	fputs(json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE),
	      stdout);
	fputc('\n', stdout);
	json_object_put(data);
	return fflush(stdout) == 0 ? 0 : 1;
}

static void configure_webhooks(struct json_object *config)
{
	struct json_object *w = NULL;
	struct bh_sim_webhook_cfg c;

	if (!config || !json_object_object_get_ex(config, "webhooks", &w))
		return;
	memset(&c, 0, sizeof(c));
	c.max_attempts = (unsigned)config_int(w, "max_attempts", 0, 100);
	c.backoff_initial_ms = (unsigned)config_int(w, "backoff_initial_ms", 0, 3600000);
	c.backoff_max_ms = (unsigned)config_int(w, "backoff_max_ms", 0, 3600000);
	c.timeout_ms = (unsigned)config_int(w, "timeout_ms", 0, 600000);
	c.queue_max = (size_t)config_int(w, "queue_max", 0, 10000000);
	bh_sim_webhook_configure(&c);
}

static int add_config_faults(struct json_object *config)
{
	struct json_object *a = NULL;
	char err[256];

	if (!config || !json_object_object_get_ex(config, "faults", &a))
		return 0;
	if (!json_object_is_type(a, json_type_array)) {
		fprintf(stderr, "backhaul-sim: config faults must be an array\n");
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (bh_sim_faults_add(json_object_array_get_idx(a, i), err, sizeof(err)) < 0) {
			fprintf(stderr, "backhaul-sim: config faults[%zu]: %s\n", i, err);
			return -1;
		}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct json_object *config = NULL, *ports_cfg = NULL, *ports_json = NULL;
	void *states[N_SERVICES] = { NULL };
	struct bh_sim_server *servers[N_SERVICES] = { NULL };
	struct bh_sim_server *control = NULL;
	struct bh_sim_http_opts hopts;
	struct bh_sim_seed_opts so;
	bool seed_wanted = false;
	sigset_t sigs;
	char err[256];
	int rc = 1, sig = 0;

	memset(&o, 0, sizeof(o));
	for (int s = 0; s < N_SERVICES; s++)
		o.port[s] = -1;
	o.control_port = -1;
	o.xsd = -1;
	o.threads = -1;
	if (parse_args(argc, argv, &o) != 0)
		return 2;

	if (o.config_file) {
		config = json_object_from_file(o.config_file);
		if (!config || !json_object_is_type(config, json_type_object)) {
			fprintf(stderr, "backhaul-sim: cannot read %s as a JSON object: %s\n",
				o.config_file, json_util_get_last_err() ? json_util_get_last_err()
									: "not an object");
			json_object_put(config);
			return 2;
		}
	}
	if (seed_options(config, &o, o.print_seed, &so, &seed_wanted) != 0)
		goto out;
	if (o.print_seed) {
		rc = print_seed(&so);
		goto out;
	}

	/* Before any thread exists: signals go to sigwait() only. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (config) {
		struct json_object *v;

		if (json_object_object_get_ex(config, "fault_seed", &v) &&
		    json_object_is_type(v, json_type_int))
			bh_sim_faults_seed((uint64_t)json_object_get_int64(v));
		json_object_object_get_ex(config, "ports", &ports_cfg);
	}
	if (add_config_faults(config) != 0)
		goto out;
	configure_webhooks(config);

	for (int s = 0; s < N_SERVICES; s++) {
		struct json_object *sopts = service_opts(config, service_list[s]->name, &o);

		states[s] = service_list[s]->create(sopts);
		json_object_put(sopts);
		if (!states[s]) {
			fprintf(stderr, "backhaul-sim: cannot create the %s service\n",
				service_list[s]->name);
			goto out;
		}
		if (bh_sim_registry_add(service_list[s], states[s]) != 0) {
			fprintf(stderr, "backhaul-sim: cannot register %s\n",
				service_list[s]->name);
			goto out;
		}
	}

	memset(&hopts, 0, sizeof(hopts));
	hopts.threads = (unsigned)(o.threads >= 0 ? o.threads : config_int(config, "threads",
									    0, 64));
	hopts.max_body = (size_t)config_int(config, "max_body", 0, 1L << 30);
	for (int s = 0; s < N_SERVICES; s++) {
		const char *name = service_list[s]->name;

		hopts.port = (uint16_t)(o.port[s] >= 0 ? o.port[s]
						       : config_int(ports_cfg, name, 0, 65535));
		servers[s] = bh_sim_http_start(service_list[s], states[s], &hopts, err,
					       sizeof(err));
		if (!servers[s]) {
			fprintf(stderr, "backhaul-sim: %s\n", err);
			goto out;
		}
		bh_sim_registry_set_port(name, bh_sim_http_port(servers[s]));
	}

	if (seed_wanted) {
		struct json_object *data = bh_sim_seed_generate(&so, err, sizeof(err));
		struct json_object *result = NULL;

		if (!data || bh_sim_seed_apply(data, &result, err, sizeof(err)) != 0) {
			fprintf(stderr, "backhaul-sim: seed: %s\n", err);
			json_object_put(data);
			goto out;
		}
		json_object_put(data);
		json_object_put(result);
	}

	hopts.port = (uint16_t)(o.control_port >= 0 ? o.control_port
						    : config_int(ports_cfg, "control", 0, 65535));
	hopts.no_faults = true;
	control = bh_sim_http_start(&bh_sim_control_service, NULL, &hopts, err, sizeof(err));
	if (!control) {
		fprintf(stderr, "backhaul-sim: %s\n", err);
		goto out;
	}
	bh_sim_registry_set_port("control", bh_sim_http_port(control));

	ports_json = bh_sim_registry_ports_json();
	{
		const char *line = json_object_to_json_string_ext(ports_json,
								  JSON_C_TO_STRING_PLAIN);

		if (o.ports_file && write_ports_file(o.ports_file, line) != 0) {
			fprintf(stderr, "backhaul-sim: cannot write %s: %s\n", o.ports_file,
				strerror(errno));
			goto out;
		}
		printf("%s\n", line);
		fflush(stdout);
	}

	while (sigwait(&sigs, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
		;
	rc = 0;

out:
	bh_sim_http_stop(control);
	for (int s = N_SERVICES - 1; s >= 0; s--)
		bh_sim_http_stop(servers[s]);
	bh_sim_webhook_shutdown();
	bh_sim_registry_clear();
	for (int s = N_SERVICES - 1; s >= 0; s--)
		if (states[s] && service_list[s]->destroy)
			service_list[s]->destroy(states[s]);
	bh_sim_faults_clear();
	json_object_put(ports_json);
	json_object_put(config);
	return rc;
}
