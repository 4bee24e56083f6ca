/* t/unit/check_server.c - server-side parsers: bucket names, ranges, dates, XML safety,
 * configuration. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "auth/decision_log.h"
#include "auth/init_file.h"
#include "server/ops.h"
#include "server/xml.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct name_case {
    const char *name;
    int valid;
};
static const struct name_case name_cases[] = {
    { "abc", 1 },           { "my-bucket.v2", 1 },   { "ab", 0 },
    { "a23456789012345678901234567890123456789012345678901234567890123", 1 },
    { "a234567890123456789012345678901234567890123456789012345678901234", 0 },
    { "MyBucket", 0 },      { "-bucket", 0 },        { "bucket-", 0 },
    { "bu..cket", 0 },      { "bu.-cket", 0 },       { "bu-.cket", 0 },
    { "192.168.5.4", 0 },   { "xn--bucket", 0 },     { "bucket-s3alias", 0 },
    { "bucket--ol-s3", 0 }, { "under_score", 0 },    { "../../etc", 0 },
    { "sthree-x", 0 },      { "1bucket", 1 },        { "b.mrap", 0 },
    { "bucket--x-s3", 0 },  { "my-s3alias-x", 1 },
};

START_TEST(bucket_names)
{
    const struct name_case *c = &name_cases[_i];
    const char *why = NULL;
    int got = s3_bucket_name_valid(c->name, &why);
    ck_assert_msg(got == c->valid, "%s: expected %d got %d", c->name, c->valid, got);
    if (!got)
        ck_assert_ptr_nonnull(why);
}
END_TEST

struct range_case {
    const char *hdr;
    uint64_t size;
    int rc;
    uint64_t off, len;
};
static const struct range_case range_cases[] = {
    { NULL, 10, 0, 0, 0 },
    { "bytes=0-4", 10, 1, 0, 5 },
    { "bytes=5-", 10, 1, 5, 5 },
    { "bytes=-3", 10, 1, 7, 3 },
    { "bytes=-30", 10, 1, 0, 10 },
    { "bytes=8-100", 10, 1, 8, 2 },
    { "bytes=10-", 10, -1, 0, 0 },
    { "bytes=10-20", 10, -1, 0, 0 },
    { "bytes=-0", 10, -1, 0, 0 },
    { "bytes=0-0", 0, -1, 0, 0 },
    { "bytes=5-2", 10, 0, 0, 0 },
    { "bytes=0-1,3-4", 10, 0, 0, 0 },
    { "items=0-1", 10, 0, 0, 0 },
    { "bytes=x-1", 10, 0, 0, 0 },
};

START_TEST(ranges)
{
    const struct range_case *c = &range_cases[_i];
    uint64_t off = 0, len = 0;
    int rc = s3_parse_range(c->hdr, c->size, &off, &len);
    ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", c->hdr ? c->hdr : "(none)", rc, c->rc);
    if (rc == 1) {
        ck_assert_uint_eq(off, c->off);
        ck_assert_uint_eq(len, c->len);
    }
}
END_TEST

START_TEST(http_dates)
{
    char buf[64];
    ck_assert_int_eq(s3_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777000LL);
    ck_assert_int_eq(s3_parse_http_date("1994-11-06T08:49:37Z"), 784111777000LL);
    ck_assert_int_eq(s3_parse_http_date("yesterday"), -1);
    s3_http_date(784111777123LL, buf);
    ck_assert_str_eq(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
}
END_TEST

/* XML: well-formed documents parse; DTDs, entities and wrong roots are MalformedXML, and no
 * external file is ever read. */
START_TEST(xml_safety)
{
    struct xml_doc *d = NULL;
    const char *why;
    const char *ok = "<Delete><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key></Object></Delete>";
    ck_assert_int_eq(xml_parse(s3_cstr(ok), "Delete", &d, &why), S3_OK);
    ck_assert_uint_eq(xml_count(xml_root(d), "Object"), 2);
    char *k = xml_child_text(xml_child(xml_root(d), "Object"), "Key");
    ck_assert_str_eq(k, "a&b");
    free(k);
    xml_free(d);

    const char *xxe = "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                      "<Delete><Object><Key>&x;</Key></Object></Delete>";
    ck_assert_int_eq(xml_parse(s3_cstr(xxe), "Delete", &d, &why), S3E_MALFORMED_XML);
    ck_assert_ptr_null(d);
    const char *bomb = "<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
                       "<Delete>&b;</Delete>";
    ck_assert_int_eq(xml_parse(s3_cstr(bomb), "Delete", &d, &why), S3E_MALFORMED_XML);
    ck_assert_int_eq(xml_parse(s3_cstr("<Delete><Object>"), "Delete", &d, &why), S3E_MALFORMED_XML);
    ck_assert_int_eq(xml_parse(s3_cstr("<Other/>"), "Delete", &d, &why), S3E_MALFORMED_XML);
    ck_assert_int_eq(xml_parse(s3_cstr(""), "Delete", &d, &why), S3E_MALFORMED_XML);
}
END_TEST

START_TEST(xml_writer_escapes)
{
    struct s3_buf b;
    struct xml_w w;
    buf_init(&b, 0);
    xw_begin(&w, &b, "R", NULL);
    xw_elem(&w, "K", "<a&'\"b>");
    xw_end(&w);
    ck_assert_ptr_nonnull(strstr(b.p, "<K>&lt;a&amp;&apos;&quot;b&gt;</K></R>"));
    buf_release(&b);
}
END_TEST

START_TEST(config_layers)
{
    struct s3_config cfg;
    char *argv[] = { "s3iamd", "--listen", "127.0.0.1:9000", "--fsync", "--max-xml-body=2M", NULL };
    setenv("S3IAM_REGION", "eu-west-1", 1);
    setenv("S3IAM_LISTEN", "0.0.0.0:1", 1);
    ck_assert_int_eq(conf_load(&cfg, 5, argv), CONF_RUN);
    ck_assert_str_eq(cfg.listen, "127.0.0.1:9000");   /* CLI beats environment */
    ck_assert_str_eq(cfg.region, "eu-west-1");        /* environment beats default */
    ck_assert_int_eq(cfg.fsync, 1);
    ck_assert_int_eq(cfg.max_xml_body, 2 * 1024 * 1024);
    ck_assert_str_eq(cfg.data_dir, "./data");
    ck_assert_int_eq(cfg.threads, -1);                /* default: auto */
    conf_release(&cfg);
    unsetenv("S3IAM_LISTEN");

    char *pool[] = { "s3iamd", "--threads", "3", NULL }, *per_conn[] = { "s3iamd", "--threads=0", NULL },
         *autom[] = { "s3iamd", "--threads", "auto", NULL };
    ck_assert_int_eq(conf_load(&cfg, 3, pool), CONF_RUN);
    ck_assert_int_eq(cfg.threads, 3);
    conf_release(&cfg);
    ck_assert_int_eq(conf_load(&cfg, 2, per_conn), CONF_RUN);
    ck_assert_int_eq(cfg.threads, 0);
    conf_release(&cfg);
    ck_assert_int_eq(conf_load(&cfg, 3, autom), CONF_RUN);
    ck_assert_int_eq(cfg.threads, -1);
    conf_release(&cfg);

    char *bad[] = { "s3iamd", "--account-id", "12", "--threads", "x", "--nope", NULL };
    ck_assert_int_eq(conf_load(&cfg, 6, bad), CONF_EXIT_ERR);
    conf_release(&cfg);
    unsetenv("S3IAM_REGION");
}
END_TEST

static const char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/check-seed-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static int has_error(const struct seed_errors *e, const char *needle1, const char *needle2)
{
    for (size_t i = 0; i < e->n; i++)
        if (strstr(e->msg[i], needle1) && (!needle2 || strstr(e->msg[i], needle2)))
            return 1;
    return 0;
}

START_TEST(seed_valid)
{
    const char *f = write_tmp(
        "{\"s3iam_init\": 1, \"accounts\": [{\"id\": \"111122223333\", \"policies\": [{\"name\": \"p\", "
        "\"document\": {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\", "
        "\"Resource\": \"*\"}]}}], \"groups\": [{\"name\": \"g\", \"attached_policies\": [\"p\", "
        "\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]}], \"users\": [{\"name\": \"u\", \"groups\": [\"g\"], "
        "\"access_keys\": [{\"id\": \"AKIAEXAMPLEUSER00001\", \"secret\": \"secret-secret\"}]}], "
        "\"buckets\": [{\"name\": \"b1\", \"versioning\": \"Enabled\"}], \"access_points\": [{\"name\": \"ap\", "
        "\"bucket\": \"b1\"}]}]}");
    struct seed s;
    struct seed_errors e = { NULL, 0 };
    int rc = init_file_load(f, "us-east-1", &s, &e);
    ck_assert_msg(rc == 0, "valid file refused: %s", e.n ? e.msg[0] : "");
    ck_assert_str_eq(s.accounts[0].id, "111122223333");
    ck_assert_uint_eq(s.accounts[0].n_users, 1);
    ck_assert_str_eq(s.accounts[0].users[0].keys[0].id, "AKIAEXAMPLEUSER00001");
    ck_assert_int_eq(s.accounts[0].buckets[0].versioning, 1);
    ck_assert_int_eq(s.accounts[0].aps[0].pab.set, 0);
    ck_assert_ptr_nonnull(strstr(s.accounts[0].policies[0].document, "2012-10-17"));
    seed_release(&s);
    unlink(f);
}
END_TEST

START_TEST(seed_errors_have_paths)
{
    /* line 1 */
    const char *f = write_tmp(
        "{\"s3iam_init\": 1, \"acounts\": 1, \"accounts\": [{\"id\": \"12\", \"users\": [{\"name\": \"u\",\n"
        " \"grups\": [\"x\"]}], \"groups\": [{\"name\": 5}],\n"
        " \"policies\": [{\"name\": \"bad\", \"document\": {\"Version\": \"2012-10-17\",\n"
        "   \"Statement\": [{\"Effect\": \"Allow\" \"Action\": \"s3:*\"}]}}],\n"
        " \"roles\": [{\"name\": \"r\"}], \"users\": []}]}");
    struct seed s;
    struct seed_errors e = { NULL, 0 };
    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(init_file_load(f, "us-east-1", &s, &e), -1);
    /* The whole file is not JSON (missing comma in the policy): one syntax error with its
     * position, nothing else. */
    ck_assert_uint_eq(e.n, 1);
    ck_assert_msg(strstr(e.msg[0], ":4:") != NULL && strstr(e.msg[0], "JSON"), "%s", e.msg[0]);
    seed_release(&s);
    seed_errors_release(&e);
    unlink(f);

    f = write_tmp(
        "{\"s3iam_init\": 1, \"acounts\": 1, \"accounts\": [{\"id\": \"12\", \"users\": [{\"name\": \"u\",\n"
        " \"grups\": [\"x\"]}], \"groups\": [{\"name\": 5}],\n"
        " \"policies\": [{\"name\": \"bad\", \"document\": {\"Version\": \"2012-10-17\",\n"
        "   \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\"}]}}],\n"
        " \"roles\": [{\"name\": \"r\"}], \"access_points\": [{\"name\": \"ap\", \"bucket\": \"b\"},\n"
        " {\"name\": \"ap\", \"bucket\": \"b\"}]}]}");
    ck_assert_int_eq(init_file_load(f, "us-east-1", &s, &e), -1);
    ck_assert_msg(has_error(&e, ":1:", "$.acounts: unknown key \"acounts\""), "no top-level unknown key error");
    ck_assert_msg(has_error(&e, "$.accounts[0]:", "12-digit"), "no account id error");
    ck_assert_msg(has_error(&e, ":2:", "$.accounts[0].users[0].grups: unknown key"), "no unknown user key error");
    ck_assert_msg(has_error(&e, "$.accounts[0].groups[0].name", "must be a string"), "no type error");
    ck_assert_msg(has_error(&e, "$.accounts[0].policies[0].document", "MalformedPolicyDocument"), "no policy error");
    ck_assert_msg(has_error(&e, "$.accounts[0].roles[0]", "trust_policy"), "no missing trust policy error");
    ck_assert_msg(has_error(&e, "$.accounts[0].access_points[1]", "defined twice"), "no duplicate error");
    seed_release(&s);
    seed_errors_release(&e);
    unlink(f);
}
END_TEST

START_TEST(decision_log_records_and_filters)
{
    static const char doc[] = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"ReadDemo\", \"Effect\": "
                              "\"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::demo/*\"}]}";
    struct policy *p = NULL;
    struct policy_diag diag;
    ck_assert_int_eq(policy_compile(doc, strlen(doc), POLICY_IDENTITY, NULL, "inline policy alice/read", &p, &diag), S3_OK);
    const struct policy *ids[1] = { p };
    struct authz_policies pols = { .identity = ids, .n_identity = 1 };
    struct authz_key keys[1] = { { .name = "aws:username", .value = "alice" } };
    struct authz_ctx ctx = { .action = "s3:GetObject", .resource = "arn:aws:s3:::demo/a.txt",
                             .principal_kind = AUTHZ_USER, .principal_arn = "arn:aws:iam::111122223333:user/alice",
                             .principal_account = "111122223333", .resource_account = "111122223333",
                             .keys = keys, .n_keys = 1 };
    struct authz_result res;
    struct dlog *d = dlog_new(2);
    struct dlog_req rq = { "REQ1", "GetObject", "demo", "a.txt", 1000 };

    authz_evaluate(&pols, &ctx, &res);
    ck_assert_int_eq(res.decision, AUTHZ_ALLOW);
    dlog_record(d, &rq, &ctx, &res);
    ctx.action = "s3:PutObject";
    rq.request_id = "REQ2";
    rq.operation = "PutObject";
    rq.time_ms = 2000;
    authz_evaluate(&pols, &ctx, &res);
    ck_assert_int_eq(res.decision, AUTHZ_IMPLICIT_DENY);
    dlog_record(d, &rq, &ctx, &res);

    struct dlog_filter all = { 0 }, deny = { .decision = "deny" }, other = { .bucket = "other" };
    char *j = dlog_query_json(d, &all);
    ck_assert_ptr_nonnull(strstr(j, "\"sid\": \"ReadDemo\""));
    ck_assert_ptr_nonnull(strstr(j, "\"aws:username\": \"alice\""));
    ck_assert_msg(strstr(j, "REQ2") < strstr(j, "REQ1"), "newest first: %s", j);
    free(j);
    j = dlog_query_json(d, &deny);
    ck_assert_ptr_null(strstr(j, "REQ1"));
    ck_assert_ptr_nonnull(strstr(j, "ImplicitDeny"));
    free(j);
    j = dlog_query_json(d, &other);
    ck_assert_ptr_null(strstr(j, "REQ"));
    free(j);
    /* The ring keeps the last two: a third entry drops the first. */
    rq.request_id = "REQ3";
    dlog_record(d, &rq, &ctx, &res);
    j = dlog_query_json(d, &all);
    ck_assert_ptr_null(strstr(j, "REQ1"));
    ck_assert_ptr_nonnull(strstr(j, "\"dropped\": 1"));
    free(j);
    j = dlog_explain(&ctx, &res);
    ck_assert_ptr_nonnull(j);
    free(j);
    dlog_free(d);
    policy_free(p);
}
END_TEST

static Suite *server_suite(void)
{
    Suite *s = suite_create("server");
    TCase *tc = tcase_create("parsers");
    tcase_add_loop_test(tc, bucket_names, 0, ARRAY_LEN(name_cases));
    tcase_add_loop_test(tc, ranges, 0, ARRAY_LEN(range_cases));
    tcase_add_test(tc, http_dates);
    tcase_add_test(tc, xml_safety);
    tcase_add_test(tc, xml_writer_escapes);
    tcase_add_test(tc, config_layers);
    tcase_add_test(tc, seed_valid);
    tcase_add_test(tc, seed_errors_have_paths);
    tcase_add_test(tc, decision_log_records_and_filters);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(server_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
