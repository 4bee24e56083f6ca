/*
 * t/fuzz/fuzz_sigv4.c - libFuzzer target for the request-authentication parsers: the
 * Authorization header (SigV4 and SigV2), the presigned query forms, and the canonicalisation
 * done by sigv_verify (path, query, headers) and sigv2_string_to_sign.
 *
 * Input layout (so the fuzzer reaches the interesting code quickly):
 *   byte 0      flags: bit0 S3 path rules, bit1 supply a body hash, bit2 virtual-host bucket,
 *               bits 3-4 method (GET, PUT, POST, DELETE)
 *   then lines separated by '\n':
 *     line 0    request target "path?query"
 *     line 1    Authorization value (omitted when empty)
 *     line 2    x-amz-date value (omitted when empty)
 *     line 3    x-amz-content-sha256 value (omitted when empty)
 *     line 4..  further headers "name:value" (at most 24)
 *
 * Build and run: make fuzz-sigv (see Makefile.am).
 */
#include "config.h"
#include "auth/sigv4.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FUZZ_HDRS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = { "GET", "PUT", "POST", "DELETE" };
    static const char *const fixed[] = { "Authorization", "x-amz-date", "x-amz-content-sha256" };
    struct sigv_hdr hdrs[MAX_FUZZ_HDRS];
    struct sigv_input in;
    struct sigv_auth a;
    struct s3_buf out;
    const char *p, *end;
    size_t n = 0;
    int line = 0;

    if (size < 1)
        return 0;
    memset(&in, 0, sizeof(in));
    in.s3 = data[0] & 1;
    in.body_sha256_hex = (data[0] & 2) ? "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" : NULL;
    in.v2_bucket = (data[0] & 4) ? S3_LIT("bucket") : S3_STR_NULL;
    in.method = s3_cstr(methods[(data[0] >> 3) & 3]);
    in.now = 1440938160;   /* 2015-08-30T12:36:00Z, the aws4 suite's date */
    in.path = S3_LIT("/");
    hdrs[n].name = S3_LIT("host");
    hdrs[n].value = S3_LIT("example.amazonaws.com");
    n++;

    p = (const char *)data + 1;
    end = (const char *)data + size;
    while (p <= end && n < MAX_FUZZ_HDRS) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        struct s3_str l = { p, nl ? (size_t)(nl - p) : (size_t)(end - p) };
        if (line == 0) {
            const char *q = memchr(l.p, '?', l.len);
            in.path = (struct s3_str){ l.p, q ? (size_t)(q - l.p) : l.len };
            in.query = q ? (struct s3_str){ q + 1, (size_t)(l.p + l.len - q - 1) } : S3_STR_NULL;
        } else if (line <= 3) {
            if (l.len) {
                hdrs[n].name = s3_cstr(fixed[line - 1]);
                hdrs[n].value = l;
                n++;
            }
        } else {
            const char *c = memchr(l.p, ':', l.len);
            hdrs[n].name = (struct s3_str){ l.p, c ? (size_t)(c - l.p) : l.len };
            hdrs[n].value = c ? (struct s3_str){ c + 1, (size_t)(l.p + l.len - c - 1) } : S3_STR_NULL;
            n++;
        }
        line++;
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    in.hdrs = hdrs;
    in.n_hdrs = n;

    if (sigv_parse(&in, &a) == S3_OK && a.kind != SIGV_ANONYMOUS) {
        s3_err e = sigv_verify(&in, &a, S3_LIT("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"));
        /* A random input must never verify, and a SigV4 mismatch must carry what was computed. */
        if (e == S3_OK)
            __builtin_trap();
        if (e == S3E_SIG_MISMATCH && (a.kind == SIGV4_HEADER || a.kind == SIGV4_QUERY) &&
            (a.canonical_request == NULL || a.string_to_sign == NULL))
            __builtin_trap();
    }
    sigv_auth_release(&a);

    /* The building blocks directly, whatever the parse said. */
    buf_init(&out, 0);
    (void)sigv4_canonical_request(&in, S3_LIT("host;x-amz-date;content-type"), S3_LIT("UNSIGNED-PAYLOAD"),
                                  data[0] & 0x20, &out);
    buf_reset(&out);
    (void)sigv2_string_to_sign(&in, data[0] & 0x40, &out);
    buf_release(&out);
    return 0;
}
