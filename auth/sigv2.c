/*
 * auth/sigv2.c - AWS Signature Version 2 for S3 ("Signing and Authenticating REST Requests"):
 * the header form "Authorization: AWS AKID:base64(HMAC-SHA1)" and the query form
 * AWSAccessKeyId / Signature / Expires that botocore still uses to presign by default.
 *
 *   StringToSign = HTTP-Verb \n Content-MD5 \n Content-Type \n Date-or-Expires \n
 *                  CanonicalizedAmzHeaders (each "x-amz-name:value\n")
 *                  CanonicalizedResource   ([/bucket] path [?sub-resources])
 */
#include "config.h"
#include "auth/sigv4.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/sigv4_int.h"

/* Query parameters that are part of the canonical resource, sorted.  The union of the list in
 * the S3 SigV2 documentation and the one botocore signs (HmacV1Auth.QSAOfInterest). */
static const char *const sub_resources[] = {
    "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory", "lifecycle",
    "location", "logging", "metrics", "notification", "object-lock", "partNumber", "policy",
    "replication", "requestPayment", "response-cache-control", "response-content-disposition",
    "response-content-encoding", "response-content-language", "response-content-type",
    "response-expires", "restore", "select", "select-type", "storageClass", "tagging", "torrent",
    "uploadId", "uploads", "versionId", "versioning", "versions", "website",
};

static int is_sub_resource(struct s3_str k)
{
    for (size_t i = 0; i < sizeof(sub_resources) / sizeof(sub_resources[0]); i++)
        if (s3_str_eq(k, s3_cstr(sub_resources[i])))
            return 1;
    return 0;
}

static int lower_c(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static int has_amz_prefix(struct s3_str name) { return name.len > 6 && s3_str_ieq_c((struct s3_str){ name.p, 6 }, "x-amz-"); }

/* One x-amz-* header or query parameter to canonicalise. */
struct amz_item {
    struct s3_str name;   /* any case */
    struct s3_str value;  /* raw header value, or the decoded query value (in 'store') */
    size_t store_off;     /* for query items: offset of the decoded value in the store */
    int from_store;
    size_t seq;           /* arrival order: keeps repeated headers in order after sorting */
};

static int name_ieq(struct s3_str a, struct s3_str b)
{
    if (a.len != b.len)
        return 0;
    for (size_t i = 0; i < a.len; i++)
        if (lower_c((unsigned char)a.p[i]) != lower_c((unsigned char)b.p[i]))
            return 0;
    return 1;
}

static int amz_cmp(const void *x, const void *y)
{
    const struct amz_item *a = x, *b = y;
    size_t n = a->name.len < b->name.len ? a->name.len : b->name.len;

    for (size_t i = 0; i < n; i++) {
        int ca = lower_c((unsigned char)a->name.p[i]), cb = lower_c((unsigned char)b->name.p[i]);
        if (ca != cb)
            return ca - cb;
    }
    if (a->name.len != b->name.len)
        return a->name.len < b->name.len ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Value of a header with folding whitespace (CR/LF and the blanks around it) unfolded to one
 * space, and the ends trimmed. */
static s3_err add_unfolded(struct s3_buf *out, struct s3_str v)
{
    s3_err e = S3_OK;

    v = sigv_trim(v);
    for (size_t i = 0; i < v.len && e == S3_OK; i++) {
        if (v.p[i] == '\r' || v.p[i] == '\n') {
            while (out->len && (out->p[out->len - 1] == ' ' || out->p[out->len - 1] == '\t'))
                out->len--;
            while (i + 1 < v.len && (v.p[i + 1] == '\r' || v.p[i + 1] == '\n' || v.p[i + 1] == ' ' ||
                                     v.p[i + 1] == '\t'))
                i++;
            e = buf_addc(out, ' ');
        } else {
            e = buf_addc(out, v.p[i]);
        }
    }
    return e;
}

/* Content-MD5 / Content-Type: the header, or for query auth the parameter botocore moves into
 * the URL when it presigns. */
static s3_err add_std_value(const struct sigv_input *in, int query, const char *hname, struct s3_buf *out)
{
    const struct sigv_hdr *h = sigv_hdr_find(in, hname);
    int found;

    if (h != NULL)
        return add_unfolded(out, h->value);
    if (query)
        return sigv_query_get(in->query, hname, &found, out);
    return S3_OK;
}

static s3_err add_amz_headers(const struct sigv_input *in, int query, struct s3_buf *out)
{
    struct amz_item *items = NULL;
    struct s3_buf store, kd;
    size_t n = 0, cap = in->n_hdrs + 1;
    s3_err e = S3E_NOMEM;

    buf_init(&store, 1u << 20);
    buf_init(&kd, 1u << 16);
    if (query)
        for (size_t i = 0; i < in->query.len; i++)
            cap += in->query.p[i] == '&';
    if (query)
        cap++;
    if ((items = calloc(cap, sizeof(*items))) == NULL)
        goto out;
    for (size_t i = 0; i < in->n_hdrs; i++)
        if (has_amz_prefix(in->hdrs[i].name)) {
            items[n].name = sigv_trim(in->hdrs[i].name);
            items[n].value = in->hdrs[i].value;
            items[n].seq = n;
            n++;
        }
    if (query) {
        /* x-amz-* parameters of a presigned URL (botocore moves signed x-amz-* headers, e.g.
         * x-amz-security-token, into the query). Names are decoded into kd, values into the store. */
        struct s3_str rest = in->query, k, v;
        int has_eq;
        while (sigv_query_next(&rest, &k, &v, &has_eq)) {
            buf_reset(&kd);
            if ((e = s3_uri_decode(k, 0, &kd)) != S3_OK) {
                if (e != S3E_INVALID_ARGUMENT)
                    goto out;
                continue;
            }
            if (!has_amz_prefix(buf_str(&kd)))
                continue;
            /* The name must outlive kd: copy it into the store, followed by the value. */
            items[n].store_off = store.len;
            if ((e = buf_add(&store, kd.p, kd.len)) != S3_OK)
                goto out;
            size_t voff = store.len;
            if ((e = s3_uri_decode(v, 0, &store)) != S3_OK)
                goto out;
            items[n].name.len = kd.len;
            items[n].value.len = store.len - voff;
            items[n].from_store = 1;
            items[n].seq = n;
            n++;
        }
        for (size_t i = 0; i < n; i++)
            if (items[i].from_store) {
                items[i].name.p = store.p + items[i].store_off;
                items[i].value.p = store.p + items[i].store_off + items[i].name.len;
            }
    }
    qsort(items, n, sizeof(*items), amz_cmp);
    e = S3_OK;
    for (size_t i = 0; i < n && e == S3_OK; i++) {
        if (i > 0 && name_ieq(items[i - 1].name, items[i].name)) {
            /* repeated header: "name:v1,v2" -- undo the previous '\n' */
            out->len--;
            e = buf_addc(out, ',');
        } else {
            for (size_t k = 0; k < items[i].name.len && e == S3_OK; k++)
                e = buf_addc(out, (char)lower_c((unsigned char)items[i].name.p[k]));
            if (e == S3_OK)
                e = buf_addc(out, ':');
        }
        if (e == S3_OK)
            e = items[i].from_store ? buf_add(out, items[i].value.p, items[i].value.len)
                                    : add_unfolded(out, items[i].value);
        if (e == S3_OK)
            e = buf_addc(out, '\n');
    }
out:
    free(items);
    buf_release(&store);
    buf_release(&kd);
    return e;
}

struct subres {
    struct s3_str key, val;
    int has_eq;
    size_t seq;
};

static int subres_cmp(const void *x, const void *y)
{
    const struct subres *a = x, *b = y;
    size_t n = a->key.len < b->key.len ? a->key.len : b->key.len;
    int c = memcmp(a->key.p, b->key.p, n);

    if (c != 0)
        return c;
    if (a->key.len != b->key.len)
        return a->key.len < b->key.len ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* [/bucket] path [? sub-resources sorted by name, "name" or "name=decoded value"] */
static s3_err add_resource(const struct sigv_input *in, struct s3_buf *out)
{
    struct subres *sr = NULL;
    struct s3_str rest = in->query, k, v;
    size_t n = 0, cap = 1;
    int has_eq;
    s3_err e;

    if (in->v2_bucket.len) {
        if ((e = buf_addc(out, '/')) != S3_OK || (e = buf_add(out, in->v2_bucket.p, in->v2_bucket.len)) != S3_OK)
            return e;
    }
    /* The path as sent, still encoded (what botocore and the AWS docs sign). */
    e = in->path.len ? buf_add(out, in->path.p, in->path.len) : buf_addc(out, '/');
    if (e != S3_OK)
        return e;
    for (size_t i = 0; i < in->query.len; i++)
        cap += in->query.p[i] == '&';
    if ((sr = calloc(cap, sizeof(*sr))) == NULL)
        return S3E_NOMEM;
    while (sigv_query_next(&rest, &k, &v, &has_eq))
        if (is_sub_resource(k)) {
            sr[n].key = k;
            sr[n].val = v;
            sr[n].has_eq = has_eq;
            sr[n].seq = n;
            n++;
        }
    qsort(sr, n, sizeof(*sr), subres_cmp);
    for (size_t i = 0; i < n && e == S3_OK; i++) {
        e = buf_addc(out, i == 0 ? '?' : '&');
        if (e == S3_OK)
            e = buf_add(out, sr[i].key.p, sr[i].key.len);
        if (e == S3_OK && sr[i].has_eq) {
            size_t mark = out->len;
            e = buf_addc(out, '=');
            if (e == S3_OK && (e = s3_uri_decode(sr[i].val, 0, out)) == S3E_INVALID_ARGUMENT) {
                out->len = mark + 1;
                e = buf_add(out, sr[i].val.p, sr[i].val.len);
            }
        }
    }
    free(sr);
    return e;
}

s3_err sigv2_string_to_sign(const struct sigv_input *in, int query, struct s3_buf *out)
{
    const struct sigv_hdr *h;
    int found;
    s3_err e;

    if ((e = buf_add(out, in->method.p, in->method.len)) != S3_OK || (e = buf_addc(out, '\n')) != S3_OK)
        return e;
    if ((e = add_std_value(in, query, "content-md5", out)) != S3_OK || (e = buf_addc(out, '\n')) != S3_OK)
        return e;
    if ((e = add_std_value(in, query, "content-type", out)) != S3_OK || (e = buf_addc(out, '\n')) != S3_OK)
        return e;
    if (query) {
        e = sigv_query_get(in->query, "Expires", &found, out);
    } else if (sigv_hdr_find(in, "x-amz-date") == NULL && (h = sigv_hdr_find(in, "date")) != NULL) {
        /* With x-amz-date present the Date line is empty: x-amz-date is signed as an amz header. */
        e = add_unfolded(out, h->value);
    }
    if (e != S3_OK || (e = buf_addc(out, '\n')) != S3_OK)
        return e;
    if ((e = add_amz_headers(in, query, out)) != S3_OK)
        return e;
    return add_resource(in, out);
}

s3_err sigv2_parse(const struct sigv_input *in, enum sigv_kind kind, struct s3_str authz, struct sigv_auth *a)
{
    const struct sigv_hdr *h;
    struct s3_buf v;
    int found;
    s3_err e = S3_OK;

    buf_init(&v, 1u << 16);
    a->payload = SIGV_PAYLOAD_UNSIGNED;
    if (kind == SIGV2_HEADER) {
        struct s3_str cred = sigv_trim((struct s3_str){ authz.p + 4, authz.len - 4 });
        const char *colon = memchr(cred.p, ':', cred.len);
        size_t kl = colon ? (size_t)(colon - cred.p) : 0;
        struct s3_str sig = colon ? (struct s3_str){ colon + 1, cred.len - kl - 1 } : S3_STR_NULL;
        if (colon == NULL || kl == 0 || kl >= sizeof(a->akid) || sig.len == 0 || sig.len >= sizeof(a->signature)) {
            sigv_set_detail(a, "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature.");
            e = S3E_AUTH_MALFORMED;
            goto out;
        }
        memcpy(a->akid, cred.p, kl);
        memcpy(a->signature, sig.p, sig.len);
        /* x-amz-date overrides Date (it may be in either HTTP-date or ISO 8601 basic form). */
        if ((h = sigv_hdr_find(in, "x-amz-date")) != NULL) {
            a->request_time = sigv_parse_http_date(h->value);
            if (a->request_time == (time_t)-1)
                a->request_time = sigv_parse_iso8601(sigv_trim(h->value));
        } else if ((h = sigv_hdr_find(in, "date")) != NULL) {
            a->request_time = sigv_parse_http_date(h->value);
        }
        if (h == NULL || a->request_time == (time_t)-1) {
            sigv_set_detail(a, "AWS authentication requires a valid Date or x-amz-date header.");
            e = S3E_ACCESS_DENIED;
            goto out;
        }
        if ((h = sigv_hdr_find(in, "x-amz-security-token")) != NULL) {
            struct s3_str t = sigv_trim(h->value);
            if (t.len >= sizeof(a->security_token)) {
                sigv_set_detail(a, "The security token is too long.");
                e = S3E_INVALID_TOKEN;
                goto out;
            }
            memcpy(a->security_token, t.p, t.len);
        }
        a->kind = SIGV2_HEADER;
        goto out;
    }

    static const char *const names[] = { "AWSAccessKeyId", "Signature", "Expires" };
    for (int i = 0; i < 3; i++) {
        buf_reset(&v);
        if ((e = sigv_query_get(in->query, names[i], &found, &v)) != S3_OK)
            goto out;
        e = S3E_ACCESS_DENIED;
        if (!found || v.len == 0) {
            sigv_set_detail(a, "Query-string authentication requires the Signature, Expires and "
                               "AWSAccessKeyId parameters.");
            goto out;
        }
        if (i == 0) {
            if (v.len >= sizeof(a->akid)) {
                sigv_set_detail(a, "AWSAccessKeyId is too long.");
                goto out;
            }
            memcpy(a->akid, v.p, v.len);
        } else if (i == 1) {
            if (v.len >= sizeof(a->signature)) {
                sigv_set_detail(a, "Signature is too long.");
                goto out;
            }
            memcpy(a->signature, v.p, v.len);
        } else {
            long long t = 0;
            for (size_t j = 0; j < v.len; j++) {
                if (v.p[j] < '0' || v.p[j] > '9' || j >= 12) {
                    sigv_set_detail(a, "Invalid date (should be seconds since epoch): %.32s", v.p);
                    goto out;
                }
                t = t * 10 + (v.p[j] - '0');
            }
            a->request_time = (time_t)t;
            a->expires_s = (long)(t - (long long)in->now);
        }
    }
    buf_reset(&v);
    if ((e = sigv_query_get(in->query, "x-amz-security-token", &found, &v)) != S3_OK)
        goto out;
    if (!found && (h = sigv_hdr_find(in, "x-amz-security-token")) != NULL) {
        found = 1;
        e = buf_add(&v, sigv_trim(h->value).p, sigv_trim(h->value).len);
    }
    if (found) {
        if (v.len >= sizeof(a->security_token)) {
            sigv_set_detail(a, "The security token is too long.");
            e = S3E_INVALID_TOKEN;
            goto out;
        }
        if (v.len)
            memcpy(a->security_token, v.p, v.len);
    }
    a->kind = SIGV2_QUERY;
    e = S3_OK;
out:
    buf_release(&v);
    return e;
}

s3_err sigv2_verify(const struct sigv_input *in, struct sigv_auth *a, struct s3_str secret)
{
    struct s3_buf sts;
    unsigned char mac[20];
    unsigned int mlen = sizeof(mac);
    unsigned char b64[32];
    size_t sts_len = 0;
    s3_err e;

    buf_init(&sts, 1u << 20);
    if ((e = sigv2_string_to_sign(in, a->kind == SIGV2_QUERY, &sts)) != S3_OK)
        goto out;
    if ((a->string_to_sign = buf_detach(&sts, &sts_len)) == NULL) {
        e = S3E_NOMEM;
        goto out;
    }
    if (a->kind == SIGV2_HEADER) {
        if (a->request_time > in->now + SIGV_MAX_SKEW_S || a->request_time < in->now - SIGV_MAX_SKEW_S) {
            sigv_set_detail(a, "The difference between the request time and the server time is too large.");
            e = S3E_TIME_SKEWED;
            goto out;
        }
    } else if (in->now > a->request_time) {
        sigv_set_detail(a, "Request has expired: Expires %lld is before the server time %lld.",
                        (long long)a->request_time, (long long)in->now);
        e = S3E_EXPIRED;
        goto out;
    }
    if (HMAC(EVP_sha1(), secret.p, (int)secret.len, (const unsigned char *)a->string_to_sign,
             sts_len, mac, &mlen) == NULL) {
        e = S3E_INTERNAL;
        goto out;
    }
    int bl = EVP_EncodeBlock(b64, mac, (int)mlen);   /* 28 characters */
    size_t sl = strlen(a->signature);
    if (bl < 0 || sl != (size_t)bl || CRYPTO_memcmp(b64, a->signature, sl) != 0) {
        sigv_set_detail(a, "The request signature we calculated does not match the signature you provided. "
                           "Check your key and signing method.");
        e = S3E_SIG_MISMATCH;
        goto out;
    }
    e = S3_OK;
out:
    buf_release(&sts);
    OPENSSL_cleanse(mac, sizeof(mac));
    return e;
}
