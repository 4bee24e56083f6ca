/* server/iam_api.c - IAM and STS query-protocol APIs (see iam_api.h). */
#include "config.h"
#include "server/iam_api.h"

#include <stdlib.h>
#include <string.h>

#include "server/xml.h"

#define STS_NS "https://sts.amazonaws.com/doc/2011-06-15/"

/* Form parameters come from the body (POST) or the query (GET). */
struct form {
    struct qparam *v;
    unsigned n;
};

static s3_err form_parse(struct s3_req *r, struct form *f)
{
    struct s3_str s = buf_str(&r->body_buf);
    const char *p = s.p, *end = s.p + s.len;
    unsigned cap = 0;

    f->v = NULL;
    f->n = 0;
    for (unsigned i = 0; i < r->n_q; i++) {
        if (f->n == cap) {
            cap = cap ? cap * 2 : 16;
            struct qparam *nv = realloc(f->v, cap * sizeof(*nv));
            if (!nv)
                return S3E_NOMEM;
            f->v = nv;
        }
        f->v[f->n].name = strdup(r->q[i].name);
        f->v[f->n].value = strdup(r->q[i].value);
        f->v[f->n].has_value = 1;
        f->n++;
    }
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p)), *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        struct s3_buf k, v;
        buf_init(&k, 0);
        buf_init(&v, 0);
        if (s3_uri_decode((struct s3_str){ p, (size_t)((eq ? eq : stop) - p) }, 1, &k) != S3_OK ||
            (eq && s3_uri_decode((struct s3_str){ eq + 1, (size_t)(stop - eq - 1) }, 1, &v) != S3_OK)) {
            buf_release(&k);
            buf_release(&v);
            return req_fail(r, S3E_IAM_INVALID_INPUT, "The request body is not correctly form-encoded.");
        }
        if (f->n == cap) {
            cap = cap ? cap * 2 : 16;
            struct qparam *nv = realloc(f->v, cap * sizeof(*nv));
            if (!nv) {
                buf_release(&k);
                buf_release(&v);
                return S3E_NOMEM;
            }
            f->v = nv;
        }
        f->v[f->n].name = buf_detach(&k, NULL);
        f->v[f->n].value = buf_detach(&v, NULL);
        f->v[f->n].has_value = 1;
        f->n++;
        p = stop + 1;
    }
    return S3_OK;
}

static void form_release(struct form *f)
{
    for (unsigned i = 0; i < f->n; i++) {
        free(f->v[i].name);
        free(f->v[i].value);
    }
    free(f->v);
}

static const char *form_get(const struct form *f, const char *name)
{
    for (unsigned i = 0; i < f->n; i++)
        if (!strcmp(f->v[i].name, name))
            return f->v[i].value;
    return NULL;
}

static s3_err sts_get_caller_identity(struct s3_req *r)
{
    struct xml_w w;
    xw_begin(&w, &r->resp.body, "GetCallerIdentityResponse", STS_NS);
    xw_open(&w, "GetCallerIdentityResult");
    xw_elem(&w, "Arn", r->who.arn);
    xw_elem(&w, "UserId", r->who.kind == PRIN_ROOT ? r->who.account : r->who.name);
    xw_elem(&w, "Account", r->who.account);
    xw_close(&w);
    xw_open(&w, "ResponseMetadata");
    xw_elem(&w, "RequestId", r->req_id);
    xw_end(&w);
    resp_header(r, "Content-Type", "text/xml");
    return S3_OK;
}

s3_err query_api_dispatch(struct s3_req *r)
{
    struct form f;
    const char *action;
    s3_err e;

    if ((e = form_parse(r, &f)) != S3_OK) {
        form_release(&f);
        return e;
    }
    action = form_get(&f, "Action");
    if (action == NULL) {
        e = req_fail(r, S3E_IAM_MISSING_ACTION, "The request must contain the parameter Action.");
    } else if (r->svc == SVC_STS && !strcmp(action, "GetCallerIdentity")) {
        e = sts_get_caller_identity(r);
    } else {
        e = req_fail(r, S3E_IAM_INVALID_ACTION, "s3iam does not implement %s %s yet.",
                     r->svc == SVC_STS ? "STS" : "IAM", action);
    }
    form_release(&f);
    return e;
}
