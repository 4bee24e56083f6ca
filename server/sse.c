/*
 * server/sse.c - server-side encryption as S3 reports and enforces it.
 *
 * Every object is encrypted at rest by storage (AES-256-GCM, per-object data key).  This file
 * handles what the client sees and asks for:
 *   SSE-S3   x-amz-server-side-encryption: AES256 (also the bucket default)
 *   SSE-KMS  aws:kms / aws:kms:dsse with an optional key id and bucket-key flag: accepted,
 *            stored and echoed (there is no KMS service behind it)
 *   SSE-C    customer key headers: the key's MD5 is verified, a salted HMAC-SHA256 of the key is
 *            stored (never the key), and every read must present the same key.
 * These per-object attributes live in the object's metadata list under names that begin with
 * 0x01, which no HTTP header name can contain, so they never leak out as x-amz-meta-*.
 */
#include "config.h"
#include "server/sse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "server/s3_ctl.h"

#define ATTR_KMS_KEY "\001kms-key-id"
#define ATTR_BUCKET_KEY "\001bucket-key"
#define ATTR_SSEC "\001ssec"          /* "<salt hex>:<hmac hex>" */
#define ATTR_SSEC_MD5 "\001ssec-md5"  /* the key MD5 as the client sent it, to echo back */

const char *sse_attr(const struct stor_object *o, const char *name)
{
    for (size_t i = 0; i < o->meta.n; i++)
        if (!strcmp(o->meta.v[i].name, name))
            return o->meta.v[i].value;
    return NULL;
}

int sse_is_internal(const char *meta_name) { return meta_name[0] == '\001'; }

/* Parse and verify the SSE-C headers with the given prefix ("x-amz-" or "x-amz-copy-source-").
 * Returns S3_OK with *present = 0 when none are sent. */
static s3_err ssec_key(struct s3_req *r, const char *prefix, int *present, unsigned char key[32])
{
    char n1[96], n2[96], n3[96];
    const char *alg, *k, *md5;
    unsigned char dig[16], sent[16];

    snprintf(n1, sizeof(n1), "%sserver-side-encryption-customer-algorithm", prefix);
    snprintf(n2, sizeof(n2), "%sserver-side-encryption-customer-key", prefix);
    snprintf(n3, sizeof(n3), "%sserver-side-encryption-customer-key-md5", prefix);
    alg = req_header(r, n1);
    k = req_header(r, n2);
    md5 = req_header(r, n3);
    *present = alg || k || md5;
    if (!*present)
        return S3_OK;
    if (!alg || !k || !md5)
        return req_fail(r, S3E_INVALID_ARGUMENT, "Requests specifying Server Side Encryption with Customer provided keys "
                                                 "must provide the algorithm, the key and the key's MD5.");
    if (strcmp(alg, "AES256") != 0)
        return req_fail(r, S3E_INVALID_ENCRYPTION, "The encryption algorithm %s is not supported; use AES256.", alg);
    if (s3_base64_decode(s3_cstr(k), key, 32) != 32)
        return req_fail(r, S3E_INVALID_ARGUMENT, "The secret key was invalid for the specified algorithm "
                                                 "(it must be 32 bytes, base64-encoded).");
    EVP_Digest(key, 32, dig, NULL, EVP_md5(), NULL);
    if (s3_base64_decode(s3_cstr(md5), sent, sizeof(sent)) != 16 || CRYPTO_memcmp(dig, sent, 16) != 0)
        return req_fail(r, S3E_INVALID_ARGUMENT, "The calculated MD5 hash of the key did not match the hash that was provided.");
    return S3_OK;
}

static void ssec_hmac(const unsigned char salt[16], const unsigned char key[32], char out[65])
{
    unsigned char mac[32];
    unsigned int ml = sizeof(mac);
    HMAC(EVP_sha256(), salt, 16, key, 32, mac, &ml);
    s3_hex(mac, 32, out);
}

s3_err sse_for_write(struct s3_req *r, struct stor_object *o)
{
    const char *alg = req_header(r, "x-amz-server-side-encryption");
    const char *kms = req_header(r, "x-amz-server-side-encryption-aws-kms-key-id");
    const char *bke = req_header(r, "x-amz-server-side-encryption-bucket-key-enabled");
    unsigned char key[32];
    int ssec;
    s3_err e;

    if ((e = ssec_key(r, "x-amz-", &ssec, key)) != S3_OK)
        return e;
    if (ssec && alg)
        return req_fail(r, S3E_INVALID_ARGUMENT, "Server Side Encryption with Customer provided key is incompatible "
                                                 "with the encryption method specified");
    if (alg && strcmp(alg, "AES256") && strcmp(alg, "aws:kms") && strcmp(alg, "aws:kms:dsse"))
        return req_fail(r, S3E_INVALID_ARGUMENT, "The encryption method specified (%s) is not supported; use AES256, "
                                                 "aws:kms or aws:kms:dsse.", alg);
    if (kms && (!alg || !strncmp(alg, "AES256", 6)))
        return req_fail(r, S3E_INVALID_ARGUMENT, "x-amz-server-side-encryption-aws-kms-key-id header is not supported "
                                                 "for this operation unless x-amz-server-side-encryption is aws:kms.");
    char def[32], def_kms[256] = "";
    int def_bke = 0;
    if (alg && (e = stor_kvs_add(&o->meta, SSE_ATTR_REQUESTED, alg)) != S3_OK)
        return e;
    if (alg == NULL && !ssec && r->bucket &&
        sse_bucket_default_full(r->srv, r->bucket, def, def_kms, sizeof(def_kms), &def_bke) == S3_OK) {
        alg = def;
        /* Objects encrypted by the bucket's aws:kms default report its key and bucket key. */
        if (kms == NULL && def_kms[0])
            kms = def_kms;
        if (bke == NULL && def_bke)
            bke = "true";
    }
    free(o->sse);
    o->sse = strdup(ssec ? "AES256" : alg ? alg : "AES256");
    if (o->sse == NULL)
        return S3E_NOMEM;
    if (kms && (e = stor_kvs_add(&o->meta, ATTR_KMS_KEY, kms)) != S3_OK)
        return e;
    if (bke && !strcmp(bke, "true") && (e = stor_kvs_add(&o->meta, ATTR_BUCKET_KEY, "true")) != S3_OK)
        return e;
    if (ssec) {
        unsigned char salt[16];
        char v[100], mac[65];
        if (RAND_bytes(salt, sizeof(salt)) != 1)
            return S3E_INTERNAL;
        s3_hex(salt, 16, v);
        ssec_hmac(salt, key, mac);
        snprintf(v + 32, sizeof(v) - 32, ":%s", mac);
        if ((e = stor_kvs_add(&o->meta, ATTR_SSEC, v)) != S3_OK ||
            (e = stor_kvs_add(&o->meta, ATTR_SSEC_MD5, req_header(r, "x-amz-server-side-encryption-customer-key-md5"))) != S3_OK)
            return e;
    }
    OPENSSL_cleanse(key, sizeof(key));
    return S3_OK;
}

s3_err sse_check_read(struct s3_req *r, const struct stor_object *o, const char *prefix)
{
    const char *stored = sse_attr(o, ATTR_SSEC);
    unsigned char key[32], salt[16];
    int present;
    char mac[65];
    s3_err e;

    if ((e = ssec_key(r, prefix, &present, key)) != S3_OK)
        return e;
    if (stored == NULL) {
        if (present)
            return req_fail(r, S3E_INVALID_REQUEST, "The encryption parameters are not applicable to this object.");
        return S3_OK;
    }
    if (!present)
        return req_fail(r, S3E_INVALID_REQUEST, "The object was stored using a form of Server Side Encryption. The "
                                                "correct parameters must be provided to retrieve the object.");
    for (int i = 0; i < 16; i++) {
        unsigned v;
        if (sscanf(stored + 2 * i, "%2x", &v) != 1)
            return S3E_INTERNAL;
        salt[i] = (unsigned char)v;
    }
    ssec_hmac(salt, key, mac);
    OPENSSL_cleanse(key, sizeof(key));
    if (strlen(stored) != 32 + 1 + 64 || CRYPTO_memcmp(mac, stored + 33, 64) != 0)
        return req_fail(r, S3E_ACCESS_DENIED, "Requests specifying Server Side Encryption with Customer provided keys "
                                              "must provide the correct secret key.");
    return S3_OK;
}

void sse_headers(struct s3_req *r, const struct stor_object *o)
{
    const char *v;
    if ((v = sse_attr(o, ATTR_SSEC_MD5)) != NULL) {
        resp_header(r, "x-amz-server-side-encryption-customer-algorithm", "AES256");
        resp_header(r, "x-amz-server-side-encryption-customer-key-MD5", v);
        return;
    }
    resp_header(r, "x-amz-server-side-encryption", o->sse ? o->sse : "AES256");
    if ((v = sse_attr(o, ATTR_KMS_KEY)) != NULL)
        resp_header(r, "x-amz-server-side-encryption-aws-kms-key-id", v);
    if ((v = sse_attr(o, ATTR_BUCKET_KEY)) != NULL)
        resp_header(r, "x-amz-server-side-encryption-bucket-key-enabled", v);
}
