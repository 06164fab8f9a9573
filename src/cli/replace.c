/* podctl replace -f FILE [--force [--grace-period=N]] [--validate=...] [--wait-timeout=S]
 *
 * As kubectl's: without --force the Pod is updated in place, which the API
 * server allows only for a few fields (validation's ValidatePodUpdate). A
 * spec equal to the stored one is accepted (labels and annotations are
 * replaced, as metadata may change); a changed app container image is
 * applied (that container restarted with it, src/pod/update.c); any other
 * change is refused with the API server's message and the changed field
 * paths (the other mutable fields with a pointer to --force:
 * docs/DEVIATIONS.md).
 * With --force: each Pod is deleted (its grace period honoured, or
 * --grace-period's) and only once it is gone created again from the file;
 * a Pod that does not exist is just created. The file is loaded and
 * validated whole before anything is deleted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/util.h"

static int replace_meta(podctl *ctx, const struct pc_pod *p, json_t *cur, const char *field,
                        pc_error *err)
{
        json_t *have = json_object_get(json_object_get(cur, "metadata"), field);
        json_t *want = json_object_get(json_object_get(p->json, "metadata"), field);
        /* unchanged: equal, or both empty or absent */
        if ((have && want && json_equal(have, want)) ||
            (!json_object_size(have) && !json_object_size(want)))
                return 0;
        _cleanup_strv_ char **remove = pc_xcalloc(1, sizeof(char *));
        const char *k;
        json_t *v;
        json_object_foreach(have, k, v)
        {
                if (!json_object_get(want, k))
                        pc_strv_push(&remove, k);
        }
        _cleanup_(json_decrefp) json_t *set = want ? json_deep_copy(want) : json_object();
        struct podctl_meta_result res = {0};
        int r = podctl_pod_update_meta(ctx, p->namespace_, p->name, field, set, remove, true, &res,
                                       err);
        pc_strv_free(res.not_found);
        return r;
}

static int replace_in_place(podctl *ctx, const char *file, const struct pc_pod *p)
{
        pc_error err;
        json_t *cur = NULL;
        if (podctl_pod_get(ctx, p->namespace_, p->name, &cur, &err) < 0) {
                if (err.code == ENOENT) {
                        fprintf(stderr,
                                "Error from server (NotFound): error when replacing \"%s\": pods "
                                "\"%s\" not found\n",
                                file, p->name);
                        return 1;
                }
                return pc_cli_die(&err);
        }
        /* the spec: unchanged, or its images updated, or refused with the
         * API server's message (podctl_pod_update) */
        int rc = 0;
        if (podctl_pod_update(ctx, p, &err) < 0) {
                /* a refusal in the API server's words ("The Pod ... is invalid") */
                if (err.code == EINVAL)
                        fprintf(stderr, "%s\n", err.msg);
                else
                        fprintf(stderr, "error: pod/%s: %s\n", p->name, err.msg);
                rc = 1;
        } else if (replace_meta(ctx, p, cur, "labels", &err) < 0 ||
                   replace_meta(ctx, p, cur, "annotations", &err) < 0) {
                rc = pc_cli_die(&err);
        } else {
                printf("pod/%s replaced\n", p->name);
        }
        json_decref(cur);
        return rc;
}

static int replace_force(struct pc_cli *cli, podctl *ctx, struct pc_pod *p, int64_t grace,
                         int wait_ms)
{
        pc_error err;
        /* podctl_pod_delete returns once the Pod is gone (stopped within its
         * grace period, its state and cgroups removed). */
        if (podctl_pod_delete(ctx, p->namespace_, p->name, grace, &err) == 0)
                printf("pod \"%s\" deleted\n", p->name);
        else if (err.code != ENOENT)
                return pc_cli_die(&err);
        fflush(stdout);
        char **start_errors = NULL;
        if (podctl_pod_create(ctx, p, wait_ms, &start_errors, &err) < 0) {
                fprintf(stderr, "error: pod/%s: %s\n", p->name, err.msg);
                return 1;
        }
        printf("pod/%s replaced\n", p->name);
        pc_cli_follow_pulls(cli, p);
        int rc = 0;
        for (size_t k = 0; start_errors && start_errors[k]; k++) {
                fprintf(stderr, "error: pod/%s: %s\n", p->name, start_errors[k]);
                rc = 1;
        }
        pc_strv_free(start_errors);
        return rc;
}

int cmd_replace(struct pc_cli *cli, int argc, char **argv)
{
        const char *file = NULL, *v;
        bool force = false;
        int64_t grace = -1;
        int wait_ms = 60000;
        enum pc_validate validate = PC_VALIDATE_STRICT;
        for (int i = 1; i < argc; i++) {
                int r;
                if ((v = pc_cli_flag(argc, argv, &i, "-f")) ||
                    (v = pc_cli_flag(argc, argv, &i, "--filename"))) {
                        if (file)
                                return pc_cli_fail("replace takes one -f FILE");
                        file = v;
                } else if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "--force=true"))
                        force = true;
                else if (!strcmp(argv[i], "--force=false"))
                        force = false;
                else if ((v = pc_cli_flag(argc, argv, &i, "--grace-period"))) {
                        char *end;
                        grace = strtoll(v, &end, 10);
                        if (!*v || *end)
                                return pc_cli_fail("invalid argument \"%s\" for "
                                                   "\"--grace-period\" flag",
                                                   v);
                } else if ((r = pc_cli_validate_flag(argc, argv, &i, &validate)) != 0) {
                        if (r < 0)
                                return 1;
                } else if ((v = pc_cli_flag(argc, argv, &i, "--wait-timeout")))
                        wait_ms = atoi(v) * 1000;
                else
                        return pc_cli_fail("unknown argument \"%s\" for replace", argv[i]);
        }
        if (!file)
                return pc_cli_fail("must specify -f FILE (or -f - for standard input)");
        if (grace >= 0 && !force)
                return pc_cli_fail("--grace-period must have --force specified");
        struct pc_manifest m;
        if (pc_cli_load_manifest(cli, file, validate, &m) != 0) {
                pc_manifest_free(&m);
                return 1;
        }
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx) {
                pc_manifest_free(&m);
                return 1;
        }
        int rc = pc_cli_put_objects(ctx, &m, "replaced");
        for (size_t i = 0; i < m.n_pods; i++) {
                if (force)
                        rc |= replace_force(cli, ctx, &m.pods[i], grace, wait_ms);
                else
                        rc |= replace_in_place(ctx, file, &m.pods[i]);
                fflush(stdout);
        }
        pc_manifest_free(&m);
        return rc;
}
