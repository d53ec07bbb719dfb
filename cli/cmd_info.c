/* cmd_info.c: `yolo info ENGINE`: what an engine file holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli_model.h"
#include "commands.h"
#include "yolo.h"

static void print_tensor(const char *role, const struct yolo_tensor_desc *t)
{
    printf("  %-7s %-24s %-8s [", role, t->name, t->dtype);
    for (int i = 0; i < t->ndim; i++)
        printf(i ? ", %lld" : "%lld", (long long)t->shape[i]);
    printf("]\n");
}

int cmd_info(int argc, char **argv)
{
    int no_verify = 0, show_nodes = 0;
    const char *isa = NULL;
    const struct arg_spec specs[] = {
        { "no-verify", 0, ARG_FLAG, &no_verify, NULL, "skip the weights checksum" },
        { "nodes", 0, ARG_FLAG, &show_nodes, NULL, "list every node with its kernel, inputs and outputs" },
        { "isa", 0, ARG_STR, &isa, "ISA", "show the CPU kernels of ref, avx2 or avx512 (default: best)" },
        { 0 }
    };
    const struct cmd_usage u = { "info", "ENGINE [options]",
        "Show an engine's inputs, outputs, precision, the backend and kernels it runs on, op\n"
        "histogram, memory (activation arena vs. the sum of all intermediate tensors, weights as\n"
        "stored and as the backend prepared them), sections and build metadata. Verifies every\n"
        "checksum.",
        NULL };
    const char *pos[1];
    int n_pos;
    int rc = args_parse_cmd(&u, argc, argv, specs, pos, 1, 1, &n_pos, "one ENGINE file");
    if (rc != ARGS_GO)
        return rc;
    if ((rc = args_check_isa("info", isa)) != ARGS_GO)
        return rc;
    struct yolo_model *m = NULL;
    struct yolo_diag diag = { 0 };
    struct yolo_model_params mp;
    yolo_model_params_default(&mp);
    mp.no_verify = no_verify;
    mp.isa = isa;
    mp.raw = 1;   /* any engine, detector or not */
    if (yolo_model_load(pos[0], &mp, &m, &diag))
        return cli_error("info", 1, "%s", diag.msg);
    struct yolo_engine_summary s;
    yolo_model_summary(m, &s);

    printf("%s: yolo engine format %u.%u, %llu bytes\n", pos[0], s.format_major, s.format_minor,
           (unsigned long long)s.file_bytes);
    printf("precision: %s\n", s.precision);
    printf("backend: %s (%s kernels; built in: %s)\n", s.backend, s.variant, yolo_backends());
    printf("tensors:\n");
    struct yolo_tensor_desc t;
    for (int i = 0; yolo_model_input(m, i, &t) == 0; i++)
        print_tensor("input", &t);
    for (int i = 0; yolo_model_output(m, i, &t) == 0; i++)
        print_tensor("output", &t);

    /* op histogram in order of first appearance; fused activations and kernels counted */
    const char *ops[64];
    int32_t cnt[64] = { 0 }, n_ops = 0, fused_silu = 0, fused_sig = 0, fused_relu = 0;
    struct yolo_node_desc nd;
    for (int32_t i = 0; yolo_model_node(m, i, &nd) == 0; i++) {
        int k = 0;
        while (k < n_ops && strcmp(ops[k], nd.op))
            k++;
        if (k == n_ops && n_ops < 64)
            ops[n_ops++] = nd.op;
        if (k < 64)
            cnt[k]++;
        if (nd.activation) {
            fused_silu += !strcmp(nd.activation, "SiLU");
            fused_sig += !strcmp(nd.activation, "Sigmoid");
            fused_relu += !strcmp(nd.activation, "Relu");
        }
    }
    printf("nodes: %d (%.2f GFLOP per run)\n", s.n_nodes, s.gflop);
    for (int k = 0; k < n_ops; k++)
        printf("  %-18s %5d\n", ops[k], cnt[k]);
    if (fused_silu || fused_sig || fused_relu)
        printf("  (Conv with fused activation: SiLU %d, Sigmoid %d, Relu %d)\n", fused_silu,
               fused_sig, fused_relu);
    char kerns[256];
    cli_conv_kernels(m, kerns, sizeof kerns);
    if (kerns[0])
        printf("  (Conv kernels: %s)\n", kerns);

    printf("memory:\n");
    printf("  arena bytes            %12llu  (%.1f MiB; one context's activations)\n",
           (unsigned long long)s.arena_bytes, s.arena_bytes / 1048576.0);
    printf("  sum of intermediates   %12llu  (%.1f MiB; %d tensors, %d of them views; arena is %.1f%%)\n",
           (unsigned long long)s.intermediate_bytes, s.intermediate_bytes / 1048576.0,
           s.n_intermediate, s.n_views,
           s.intermediate_bytes ? 100.0 * (double)s.arena_bytes / (double)s.intermediate_bytes : 0.0);
    printf("  weight bytes           %12llu  (%.1f MiB; %d constants as stored, shared by every context)\n",
           (unsigned long long)s.weight_bytes, s.weight_bytes / 1048576.0, s.n_weights);
    printf("  prepared at load       %12llu  (%.1f MiB; the %s backend's packed copy, shared)\n",
           (unsigned long long)s.prepared_bytes, s.prepared_bytes / 1048576.0, s.backend);

    printf("sections:\n");
    struct yolo_section_desc sec;
    for (int32_t i = 0; yolo_model_section(m, i, &sec) == 0; i++)
        printf("  %s  offset %10llu  bytes %10llu  crc32 %08x\n", sec.tag,
               (unsigned long long)sec.offset, (unsigned long long)sec.bytes, sec.crc32);
    printf("metadata:\n");
    const char *key, *value;
    for (int32_t i = 0; yolo_model_meta(m, i, &key, &value) == 0; i++)
        printf("  %-22s %s\n", key, value);
    printf("labels: %d", s.n_labels);
    for (int32_t i = 0; i < s.n_labels && i < 5; i++)
        printf("%s%s", i ? ", " : " (", yolo_model_label(m, i));
    printf("%s\n", s.n_labels > 5 ? ", ...)" : s.n_labels ? ")" : "");

    if (show_nodes) {
        printf("graph:\n");
        for (int32_t i = 0; yolo_model_node(m, i, &nd) == 0; i++) {
            printf("  %4d %-10s %-40s %-15s", i, nd.op, nd.name, nd.kernel);
            for (int k = 0; k < nd.n_in; k++)
                printf(" %s", nd.in[k] ? nd.in[k] : "-");
            printf(" ->");
            for (int k = 0; k < nd.n_out; k++)
                printf(" %s", nd.out[k] ? nd.out[k] : "-");
            printf("\n");
        }
    }
    yolo_model_free(m);
    return 0;
}
