/*
 * t/fuzz/fuzz_awschunk.c - libFuzzer target for the aws-chunked decoder (auth/awschunk.c).
 *
 * Input layout:
 *   byte 0      variant: 0 STREAMING-AWS4-HMAC-SHA256-PAYLOAD, 1 ...-PAYLOAD-TRAILER,
 *               2 STREAMING-UNSIGNED-PAYLOAD-TRAILER (mod 3)
 *   byte 1      piece size for feeding (1..256), so splits fall anywhere
 *   rest        the body
 * Checks: no crash or leak, bytes reaching the sink equal awschunk_decoded_len, errors are
 * sticky, and a signed body made of random bytes never verifies past a data chunk.
 *
 * Build and run: make fuzz-sigv (see Makefile.am).
 */
#include "config.h"
#include "auth/sigv4.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_sink {
    uint64_t n;
};

static s3_err fz_sink_fn(void *ud, const void *p, size_t n)
{
    struct fz_sink *s = ud;
    volatile const unsigned char *b = p;

    if (n)
        (void)b[n - 1];   /* the sink may read every byte it is given */
    s->n += n;
    return S3_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum sigv_payload variants[] = { SIGV_PAYLOAD_STREAMING_SIGNED, SIGV_PAYLOAD_STREAMING_SIGNED_TRAILER,
                                                  SIGV_PAYLOAD_STREAMING_UNSIGNED_TRAILER };
    struct sigv_auth a;
    struct fz_sink s = { 0 };
    struct awschunk *c = NULL;
    s3_err e = S3_OK, f;
    size_t step;

    if (size < 2)
        return 0;
    memset(&a, 0, sizeof(a));
    a.kind = SIGV4_HEADER;
    a.payload = variants[data[0] % 3];
    memcpy(a.signature, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9", 65);
    memcpy(a.amz_date, "20130524T000000Z", 17);
    memcpy(a.scope, "20130524/us-east-1/s3/aws4_request", 35);
    sigv4_signing_key(S3_LIT("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), "20130524", "us-east-1", "s3", a.signing_key);
    if (awschunk_new(&a, fz_sink_fn, &s, &c) != S3_OK)
        __builtin_trap();
    step = (size_t)data[1] + 1;
    data += 2;
    size -= 2;
    while (size && e == S3_OK) {
        size_t k = step < size ? step : size;
        e = awschunk_feed(c, data, k);
        data += k;
        size -= k;
    }
    f = awschunk_finish(c);
    if (e != S3_OK && f != e)
        __builtin_trap();   /* errors are sticky */
    if (awschunk_decoded_len(c) != s.n)
        __builtin_trap();
    /* Random data cannot carry a valid HMAC: a signed body that finished cleanly must have
     * delivered no data (only a final empty chunk could have... and it is signed too). */
    if (f == S3_OK && a.payload != SIGV_PAYLOAD_STREAMING_UNSIGNED_TRAILER)
        __builtin_trap();
    (void)awschunk_trailer(c, "x-amz-checksum-crc32");
    (void)awschunk_detail(c);
    awschunk_free(c);
    return 0;
}
