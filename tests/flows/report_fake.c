/*
 * report_fake.c - the `lifecycle-fake` endpoint plugin for the lifecycle-flow and report
 * tests (see report_fake.h for what it does). Built for make check only.
 *
 * Ownership: lifecycle-flows helper. Threading: one mutex guards all state; every
 * capability operation and control call takes it.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <backhaul/backhaul.h>

#include "report_fake.h"

#define MAX_FAULTS 16

struct fault {
	char op[64];
	int rc;
	char code[64];
	char message[256];
	int64_t retry_after_ms;
	int times;
};

struct fake {
	bh_instance *inst;
	const struct bh_host *host;
	const char *seed_file;
	bool new_ops;
	const char *fail_op;
	int fail_kind;
	pthread_mutex_t mu;
	json_object *returns;   /* id -> return/1 */
	json_object *orders;    /* id -> order/1 */
	json_object *txns;      /* internal_id -> transaction */
	json_object *log;       /* [{"op","arg"}] */
	json_object *effects;   /* op -> count */
	struct fault faults[MAX_FAULTS];
	size_t n_faults;
};

/* ------------------------------------------------------------------ helpers */

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static char *dup_json(json_object *o)
{
	return strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}

static void set_st(struct bh_status *st, const char *code, const char *msg)
{
	snprintf(st->code, sizeof(st->code), "%s", code);
	snprintf(st->message, sizeof(st->message), "%s", msg);
}

/* Log the call and apply a pending fault. Caller holds the lock. */
static int enter(struct fake *f, const char *op, const char *arg, struct bh_status *st)
{
	memset(st, 0, sizeof(*st));
	json_object *e = json_object_new_object();
	json_object_object_add(e, "op", json_object_new_string(op));
	json_object_object_add(e, "arg", json_object_new_string(arg ? arg : ""));
	json_object_array_add(f->log, e);
	for (size_t i = 0; i < f->n_faults; i++) {
		struct fault *ft = &f->faults[i];
		if (ft->times > 0 && strcmp(ft->op, op) == 0) {
			ft->times--;
			set_st(st, ft->code, ft->message);
			st->retry_after_ms = ft->retry_after_ms;
			return ft->rc;
		}
	}
	return 0;
}

static void effect(struct fake *f, const char *op)
{
	json_object *v;
	int64_t n = json_object_object_get_ex(f->effects, op, &v) ? json_object_get_int64(v) : 0;
	json_object_object_add(f->effects, op, json_object_new_int64(n + 1));
}

static json_object *find_txn(struct fake *f, json_object *ref)
{
	const char *iid = jstr(ref, "internal_id"), *ext = jstr(ref, "external_id");
	if (iid) {
		json_object *t;
		return json_object_object_get_ex(f->txns, iid, &t) ? t : NULL;
	}
	if (!ext)
		return NULL;
	json_object_object_foreach(f->txns, k, t) {
		(void)k;
		const char *e = jstr(t, "external_id");
		if (e && strcmp(e, ext) == 0)
			return t;
	}
	return NULL;
}

/* ------------------------------------------------------------------ portal */

static int p_get_return(void *ctx, const char *id, char **out, struct bh_status *st)
{
	struct fake *f = ctx;
	json_object *r;
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, "portal.get_return", id, st);
	if (rc == 0) {
		if (json_object_object_get_ex(f->returns, id, &r)) {
			*out = dup_json(r);
		} else {
			set_st(st, "NOT_FOUND", "Return not found.");
			rc = BH_ENOENT;
		}
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}

/* One action: allowed[] states move to `to`; `same` is a no-op success. */
static int action(struct fake *f, const char *op, const char *id, const char *to,
		  const char *const *allowed, struct bh_status *st)
{
	json_object *r;
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, op, id, st);
	if (rc != 0)
		goto out;
	if (!json_object_object_get_ex(f->returns, id, &r)) {
		set_st(st, "NOT_FOUND", "Return not found.");
		rc = BH_EREJECT;
		goto out;
	}
	const char *state = jstr(r, "state");
	if (state && strcmp(state, to) == 0)
		goto out;
	for (const char *const *a = allowed; *a; a++)
		if (state && strcmp(state, *a) == 0) {
			json_object_object_add(r, "state", json_object_new_string(to));
			json_object_object_add(r, "flagged", json_object_new_boolean(strcmp(to, "review") == 0));
			effect(f, op);
			goto out;
		}
	char msg[128];
	snprintf(msg, sizeof(msg), "Return is %s and therefore cannot be processed.",
		 state ? state : "unknown");
	set_st(st, state && strcmp(state, "review") == 0 && strcmp(op, "portal.process") == 0
			   ? "UNPROCESSABLE_FLAGGED_RETURN"
			   : "UNPROCESSABLE_RETURN",
	       msg);
	rc = BH_EREJECT;
out:
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static int p_process(void *ctx, const char *id, struct bh_status *st)
{
	static const char *const ok[] = {"open", NULL};
	return action(ctx, "portal.process", id, "closed", ok, st);
}

static int p_cancel(void *ctx, const char *id, struct bh_status *st)
{
	static const char *const ok[] = {"open", NULL};
	return action(ctx, "portal.cancel", id, "cancelled", ok, st);
}

static int p_flag(void *ctx, const char *id, struct bh_status *st)
{
	static const char *const ok[] = {"open", NULL};
	return action(ctx, "portal.flag", id, "review", ok, st);
}

static int p_close(void *ctx, const char *id, struct bh_status *st)
{
	static const char *const ok[] = {"open", "review", NULL};
	return action(ctx, "portal.close", id, "closed", ok, st);
}

static int p_note(void *ctx, const char *id, const char *text, struct bh_status *st)
{
	struct fake *f = ctx;
	(void)text;
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, "portal.note", id, st);
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static int p_find_returns(void *ctx, const char *query, char **out, struct bh_status *st)
{
	struct fake *f = ctx;
	json_object *q = json_tokener_parse(query ? query : "");
	const char *oid = jstr(q, "storefront_order_id"), *name = jstr(q, "order_name");
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, "portal.find_returns", query, st);
	if (rc == 0) {
		json_object *o = json_object_new_object(), *arr = json_object_new_array();
		json_object_object_foreach(f->returns, k, r) {
			(void)k;
			json_object *ord;
			if (!json_object_object_get_ex(r, "order", &ord))
				continue;
			const char *a = jstr(ord, "storefront_order_id"), *b = jstr(ord, "name");
			if ((oid && a && strcmp(oid, a) == 0) || (name && b && strcmp(name, b) == 0))
				json_object_array_add(arr, json_object_get(r));
		}
		json_object_object_add(o, "returns", arr);
		*out = dup_json(o);
		json_object_put(o);
	}
	pthread_mutex_unlock(&f->mu);
	json_object_put(q);
	return rc;
}

static const struct bh_portal_ops portal_ops = {
	.size = sizeof(struct bh_portal_ops),
	.get_return = p_get_return,
	.process = p_process,
	.cancel = p_cancel,
	.flag = p_flag,
	.close = p_close,
	.note = p_note,
	.find_returns = p_find_returns,
};

/* The 1.0 table: no find_returns (the size says so). */
static const struct bh_portal_ops portal_ops_old = {
	.size = offsetof(struct bh_portal_ops, find_returns),
	.get_return = p_get_return,
	.process = p_process,
	.cancel = p_cancel,
	.flag = p_flag,
	.close = p_close,
	.note = p_note,
};

/* ------------------------------------------------------------------ erp */

static int e_get_ra(void *ctx, const char *ref, char **out, struct bh_status *st)
{
	struct fake *f = ctx;
	json_object *q = json_tokener_parse(ref ? ref : "");
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, "erp.get_return_authorization", ref, st);
	if (rc == 0) {
		json_object *t = find_txn(f, q), *v;
		const char *type = jstr(t, "type");
		if (!t || !type || strcmp(type, "return_authorization") != 0) {
			set_st(st, "NOT_FOUND", "no such return authorization");
			rc = BH_ENOENT;
		} else {
			json_object *o = json_object_new_object(), *so = json_object_new_object();
			json_object_object_add(o, "internal_id", json_object_new_string(jstr(t, "internal_id")));
			json_object_object_add(o, "external_id", jstr(t, "external_id")
				? json_object_new_string(jstr(t, "external_id")) : NULL);
			json_object_object_add(o, "type", json_object_new_string("return_authorization"));
			json_object_object_add(o, "status", json_object_new_string(jstr(t, "status") ? jstr(t, "status") : "pending_receipt"));
			json_object_object_add(o, "flag", json_object_new_boolean(
				json_object_object_get_ex(t, "flag", &v) && json_object_get_boolean(v)));
			json_object *cf;
			const char *so_id = json_object_object_get_ex(t, "created_from", &cf) ? jstr(cf, "internal_id") : NULL;
			json_object_object_add(so, "internal_id", so_id ? json_object_new_string(so_id) : NULL);
			json_object_object_add(o, "sales_order", so);
			if (json_object_object_get_ex(t, "lines", &v))
				json_object_object_add(o, "lines", json_object_get(v));
			*out = dup_json(o);
			json_object_put(o);
		}
	}
	pthread_mutex_unlock(&f->mu);
	json_object_put(q);
	return rc;
}

static int e_close_ra(void *ctx, const char *ref, char **out, struct bh_status *st)
{
	struct fake *f = ctx;
	json_object *q = json_tokener_parse(ref ? ref : "");
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, "erp.close_return_authorization", ref, st);
	if (rc == 0) {
		json_object *t = find_txn(f, q), *lines;
		const char *type = jstr(t, "type"), *status = jstr(t, "status");
		if (!t || !type || strcmp(type, "return_authorization") != 0) {
			set_st(st, "INVALID_KEY_OR_REF", "no such return authorization");
			rc = BH_EREJECT;
		} else {
			if (!status || strcmp(status, "closed") != 0) {
				json_object_object_add(t, "status", json_object_new_string("closed"));
				if (json_object_object_get_ex(t, "lines", &lines))
					for (size_t i = 0; i < json_object_array_length(lines); i++)
						json_object_object_add(json_object_array_get_idx(lines, i),
								       "closed", json_object_new_boolean(1));
				effect(f, "erp.close_return_authorization");
			}
			json_object *o = json_object_new_object();
			json_object_object_add(o, "internal_id", json_object_new_string(jstr(t, "internal_id")));
			json_object_object_add(o, "external_id", jstr(t, "external_id")
				? json_object_new_string(jstr(t, "external_id")) : NULL);
			json_object_object_add(o, "type", json_object_new_string("return_authorization"));
			json_object_object_add(o, "created", json_object_new_boolean(0));
			*out = dup_json(o);
			json_object_put(o);
		}
	}
	pthread_mutex_unlock(&f->mu);
	json_object_put(q);
	return rc;
}

static int e_find_so(void *ctx, const char *query, char **out, struct bh_status *st)
{
	struct fake *f = ctx;
	json_object *q = json_tokener_parse(query ? query : "");
	const char *ext = jstr(q, "external_id"), *sid = jstr(q, "shopify_order_id");
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, "erp.find_sales_order", query, st);
	if (rc == 0) {
		rc = BH_ENOENT;
		json_object_object_foreach(f->txns, k, t) {
			(void)k;
			const char *type = jstr(t, "type"), *e = jstr(t, "external_id"),
				   *s = jstr(t, "storefront_order_id");
			if (!type || strcmp(type, "sales_order") != 0)
				continue;
			if ((ext && e && strcmp(ext, e) == 0) || (sid && s && strcmp(sid, s) == 0)) {
				*out = dup_json(t);
				rc = 0;
				break;
			}
		}
	}
	pthread_mutex_unlock(&f->mu);
	json_object_put(q);
	return rc;
}

static bool in_set(json_object *ids, const char *id)
{
	for (size_t i = 0; id && i < json_object_array_length(ids); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(ids, i)), id) == 0)
			return true;
	return false;
}

static int e_related(void *ctx, const char *ref, char **out, struct bh_status *st)
{
	struct fake *f = ctx;
	json_object *q = json_tokener_parse(ref ? ref : "");
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, "erp.related_transactions", ref, st);
	if (rc == 0) {
		json_object *root = find_txn(f, q);
		if (!root) {
			rc = BH_ENOENT;
			set_st(st, "NOT_FOUND", "no such transaction");
		} else {
			/* transitive closure over created_from / exchange_of, in key order */
			json_object *ids = json_object_new_array(), *arr = json_object_new_array();
			json_object_array_add(ids, json_object_new_string(jstr(root, "internal_id")));
			bool grew = true;
			while (grew) {
				grew = false;
				json_object_object_foreach(f->txns, k, t) {
					json_object *cf = NULL, *ex = NULL;
					json_object_object_get_ex(t, "created_from", &cf);
					json_object_object_get_ex(t, "exchange_of", &ex);
					if (in_set(ids, k))
						continue;
					if (in_set(ids, jstr(cf, "internal_id")) ||
					    in_set(ids, jstr(ex, "internal_id"))) {
						json_object_array_add(ids, json_object_new_string(k));
						json_object_array_add(arr, json_object_get(t));
						grew = true;
					}
				}
			}
			json_object *o = json_object_new_object();
			json_object_object_add(o, "transactions", arr);
			*out = dup_json(o);
			json_object_put(o);
			json_object_put(ids);
		}
	}
	pthread_mutex_unlock(&f->mu);
	json_object_put(q);
	return rc;
}

static const struct bh_erp_ops erp_ops = {
	.size = sizeof(struct bh_erp_ops),
	.find_sales_order = e_find_so,
	.get_return_authorization = e_get_ra,
	.close_return_authorization = e_close_ra,
	.related_transactions = e_related,
};

static const struct bh_erp_ops erp_ops_old = {
	.size = offsetof(struct bh_erp_ops, related_transactions),
	.find_sales_order = e_find_so,
	.get_return_authorization = e_get_ra,
	.close_return_authorization = e_close_ra,
};

/* ------------------------------------------------------------------ storefront */

static int s_lookup(struct fake *f, const char *op, const char *member, const char *val,
		    char **out, struct bh_status *st)
{
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, op, val, st);
	if (rc == 0) {
		rc = BH_ENOENT;
		json_object_object_foreach(f->orders, k, o) {
			(void)k;
			const char *v = jstr(o, member);
			if (v && val && strcmp(v, val) == 0) {
				*out = dup_json(o);
				rc = 0;
				break;
			}
		}
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static int s_get_order(void *ctx, const char *id, char **out, struct bh_status *st)
{
	return s_lookup(ctx, "storefront.get_order", "id", id, out, st);
}

static int s_find_by_name(void *ctx, const char *name, char **out, struct bh_status *st)
{
	return s_lookup(ctx, "storefront.find_order_by_name", "name", name, out, st);
}

static const struct bh_storefront_ops storefront_ops = {
	.size = sizeof(struct bh_storefront_ops),
	.get_order = s_get_order,
	.find_order_by_name = s_find_by_name,
};

/* ------------------------------------------------------------------ control */

static json_object *table(struct fake *f, const char *kind, const char **idkey)
{
	if (strcmp(kind, "return") == 0) {
		*idkey = "id";
		return f->returns;
	}
	if (strcmp(kind, "order") == 0) {
		*idkey = "id";
		return f->orders;
	}
	if (strcmp(kind, "transaction") == 0) {
		*idkey = "internal_id";
		return f->txns;
	}
	return NULL;
}

static int put_locked(struct fake *f, const char *kind, json_object *o)
{
	const char *idkey;
	json_object *t = table(f, kind, &idkey);
	const char *id = jstr(o, idkey);
	if (!t || !id)
		return BH_EINVAL;
	json_object_object_add(t, id, json_object_get(o));
	return 0;
}

static int c_emit(void *ctx, const char *topic, const char *key, const char *body)
{
	struct fake *f = ctx;
	struct bh_emit e = {.topic = topic, .key = key, .body = body};
	return f->host->emit(f->inst, &e, 1, NULL);
}

static int c_put(void *ctx, const char *kind, const char *json)
{
	struct fake *f = ctx;
	json_object *o = json_tokener_parse(json);
	if (!o)
		return BH_EINVAL;
	pthread_mutex_lock(&f->mu);
	int rc = put_locked(f, kind, o);
	pthread_mutex_unlock(&f->mu);
	json_object_put(o);
	return rc;
}

static int c_set(void *ctx, const char *kind, const char *id, const char *member,
		 const char *json_value)
{
	struct fake *f = ctx;
	const char *idkey;
	json_object *v = json_tokener_parse(json_value), *o;
	int rc = BH_ENOENT;
	pthread_mutex_lock(&f->mu);
	json_object *t = table(f, kind, &idkey);
	if (t && json_object_object_get_ex(t, id, &o)) {
		json_object_object_add(o, member, v);
		v = NULL;
		rc = 0;
	}
	pthread_mutex_unlock(&f->mu);
	json_object_put(v);
	return rc;
}

static char *c_get(void *ctx, const char *kind, const char *id)
{
	struct fake *f = ctx;
	const char *idkey;
	json_object *o;
	char *s = NULL;
	pthread_mutex_lock(&f->mu);
	json_object *t = table(f, kind, &idkey);
	if (t && json_object_object_get_ex(t, id, &o))
		s = dup_json(o);
	pthread_mutex_unlock(&f->mu);
	return s;
}

static int c_calls(void *ctx, const char *op, const char *arg)
{
	struct fake *f = ctx;
	int n = 0;
	pthread_mutex_lock(&f->mu);
	for (size_t i = 0; i < json_object_array_length(f->log); i++) {
		json_object *e = json_object_array_get_idx(f->log, i);
		if (strcmp(jstr(e, "op"), op) == 0 && (!arg || strstr(jstr(e, "arg"), arg)))
			n++;
	}
	pthread_mutex_unlock(&f->mu);
	return n;
}

static int c_effects(void *ctx, const char *op)
{
	struct fake *f = ctx;
	json_object *v;
	pthread_mutex_lock(&f->mu);
	int n = json_object_object_get_ex(f->effects, op, &v) ? json_object_get_int(v) : 0;
	pthread_mutex_unlock(&f->mu);
	return n;
}

static void c_fault(void *ctx, const char *op, int rc, const char *code, const char *message,
		    int64_t retry_after_ms, int times)
{
	struct fake *f = ctx;
	pthread_mutex_lock(&f->mu);
	if (f->n_faults < MAX_FAULTS) {
		struct fault *ft = &f->faults[f->n_faults++];
		snprintf(ft->op, sizeof(ft->op), "%s", op);
		snprintf(ft->code, sizeof(ft->code), "%s", code ? code : "");
		snprintf(ft->message, sizeof(ft->message), "%s", message ? message : "");
		ft->rc = rc;
		ft->retry_after_ms = retry_after_ms;
		ft->times = times;
	}
	pthread_mutex_unlock(&f->mu);
}

static void c_reset_calls(void *ctx)
{
	struct fake *f = ctx;
	pthread_mutex_lock(&f->mu);
	json_object_put(f->log);
	json_object_put(f->effects);
	f->log = json_object_new_array();
	f->effects = json_object_new_object();
	f->n_faults = 0;
	pthread_mutex_unlock(&f->mu);
}

static const struct bh_lcfake_ctl ctl_ops = {
	.emit = c_emit,
	.put = c_put,
	.set = c_set,
	.get = c_get,
	.calls = c_calls,
	.effects = c_effects,
	.fault = c_fault,
	.reset_calls = c_reset_calls,
};

/* ------------------------------------------------------------------ lifecycle */

static int fk_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct fake *f = calloc(1, sizeof(*f));
	if (!f)
		return BH_ENOMEM;
	f->inst = inst;
	f->host = host;
	pthread_mutex_init(&f->mu, NULL);
	f->returns = json_object_new_object();
	f->orders = json_object_new_object();
	f->txns = json_object_new_object();
	f->log = json_object_new_array();
	f->effects = json_object_new_object();
	*ctx = f;
	return BH_OK;
}

static int seed_list(struct fake *f, json_object *seed, const char *member, const char *kind)
{
	json_object *arr;
	if (!json_object_object_get_ex(seed, member, &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return BH_EINVAL;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (put_locked(f, kind, json_object_array_get_idx(arr, i)) != 0)
			return BH_EINVAL;
	return 0;
}

static int fk_configure(void *ctx)
{
	struct fake *f = ctx;
	if (f->fail_op) {
		static const int rcs[] = {BH_ERETRY, BH_EAUTH, BH_EREJECT};
		static const char *const codes[] = {"UNREACHABLE", "INVALID_LOGIN", "REFUSED"};
		struct fault *ft = &f->faults[f->n_faults++];
		snprintf(ft->op, sizeof(ft->op), "%s", f->fail_op);
		ft->rc = rcs[f->fail_kind];
		snprintf(ft->code, sizeof(ft->code), "%s", codes[f->fail_kind]);
		snprintf(ft->message, sizeof(ft->message), "configured failure of %s", f->fail_op);
		ft->times = 1000000;
	}
	if (!f->seed_file)
		return BH_OK;
	json_object *seed = json_object_from_file(f->seed_file);
	if (!seed) {
		bh_plg_error(f->host, f->inst, "seed_file %s: cannot read it as JSON", f->seed_file);
		return BH_ECONFIG;
	}
	int rc = seed_list(f, seed, "orders", "order");
	if (rc == 0)
		rc = seed_list(f, seed, "returns", "return");
	if (rc == 0)
		rc = seed_list(f, seed, "transactions", "transaction");
	json_object_put(seed);
	if (rc != 0)
		bh_plg_error(f->host, f->inst, "seed_file %s: an entry lacks its id", f->seed_file);
	return rc == 0 ? BH_OK : BH_ECONFIG;
}

static const void *fk_capability(void *ctx, const char *name)
{
	struct fake *f = ctx;
	if (strcmp(name, BH_CAP_PORTAL) == 0)
		return f->new_ops ? (const void *)&portal_ops : (const void *)&portal_ops_old;
	if (strcmp(name, BH_CAP_ERP) == 0)
		return f->new_ops ? (const void *)&erp_ops : (const void *)&erp_ops_old;
	if (strcmp(name, BH_CAP_STOREFRONT) == 0)
		return &storefront_ops;
	if (strcmp(name, BH_LCFAKE_CTL) == 0)
		return &ctl_ops;
	return NULL;
}

static void fk_destroy(void *ctx)
{
	struct fake *f = ctx;
	json_object_put(f->returns);
	json_object_put(f->orders);
	json_object_put(f->txns);
	json_object_put(f->log);
	json_object_put(f->effects);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

#define O(x) offsetof(struct fake, x)
static const struct bh_cfg_entry fk_config[] = {
	{BH_CFG_STR, "seed_file", NULL, 0, O(seed_file), 0, 0, NULL,
	 "JSON file {orders, returns, transactions} loaded at configure"},
	{BH_CFG_BOOL, "new_ops", "true", 0, O(new_ops), 0, 0, NULL,
	 "offer find_returns / related_transactions (false: the 1.0 ops tables)"},
	{BH_CFG_STR, "fail_op", NULL, 0, O(fail_op), 0, 0, NULL,
	 "every call of this operation (\"erp.find_sales_order\"...) fails"},
	{BH_CFG_ENUM, "fail_kind", "retry", 0, O(fail_kind), 0, 0, "retry|auth|reject",
	 "how fail_op fails"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "lifecycle-fake", .version = "1.0.0",
		 .description = "in-memory portal/erp/storefront for the lifecycle-flow tests",
		 .license = "MIT", .kind = BH_KIND_ENDPOINT, .config = fk_config,
		 .init = fk_init, .configure = fk_configure, .destroy = fk_destroy,
		 .capability = fk_capability);
