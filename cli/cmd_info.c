/* cmd_info.c: `yolo info ENGINE`: what an engine file holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "engine.h"

static void print_tensor(const char *role, const struct yolo_tensor *t)
{
    printf("  %-7s %-24s %-8s [", role, t->name, yolo_dtype_name(t->dtype));
    for (int i = 0; i < t->ndim; i++)
        printf(i ? ", %lld" : "%lld", (long long)t->shape[i]);
    printf("]\n");
}

static void print_tag(uint32_t tag)
{
    for (int i = 0; i < 4; i++) {
        char c = (char)(tag >> (8 * i));
        putchar(c >= 32 && c < 127 ? c : '?');
    }
}

int cmd_info(int argc, char **argv)
{
    int no_verify = 0, show_nodes = 0;
    const struct arg_spec specs[] = {
        { "no-verify", 0, ARG_FLAG, &no_verify, NULL, "skip the weights checksum" },
        { "nodes", 0, ARG_FLAG, &show_nodes, NULL, "list every node with its inputs and outputs" },
        { 0 }
    };
    const struct cmd_usage u = { "info", "ENGINE [options]",
        "Show an engine's inputs, outputs, op histogram, memory (activation arena vs. the sum of\n"
        "all intermediate tensors, weights), sections and build metadata. Verifies every checksum.",
        NULL };
    const char *pos[1];
    int n_pos;
    int rc = args_parse_cmd(&u, argc, argv, specs, pos, 1, 1, &n_pos, "one ENGINE file");
    if (rc != ARGS_GO)
        return rc;
    struct yolo_engine *e = NULL;
    struct yolo_diag diag = { 0 };
    if (yolo_engine_load(pos[0], no_verify ? YOLO_ENGINE_NO_VERIFY_WEIGHTS : 0, &e, &diag))
        return cli_error("info", 1, "%s", diag.msg);
    const struct yolo_graph *g = &e->graph;

    printf("%s: yolo engine format %u.%u, %llu bytes\n", pos[0], e->major, e->minor,
           (unsigned long long)e->file_bytes);
    printf("tensors:\n");
    for (int i = 0; i < g->n_inputs; i++)
        print_tensor("input", &g->tensors[g->inputs[i]]);
    for (int i = 0; i < g->n_outputs; i++)
        print_tensor("output", &g->tensors[g->outputs[i]]);

    int32_t hist[YOLO_OP_COUNT] = { 0 };
    int32_t fused[4] = { 0 };
    for (int32_t i = 0; i < g->n_nodes; i++) {
        hist[g->nodes[i].op]++;
        if (g->nodes[i].op == YOLO_OP_CONV && g->nodes[i].params[YOLO_CONV_ACT] > 0 &&
            g->nodes[i].params[YOLO_CONV_ACT] < 4)
            fused[g->nodes[i].params[YOLO_CONV_ACT]]++;
    }
    printf("nodes: %d\n", g->n_nodes);
    for (int op = 0; op < YOLO_OP_COUNT; op++)
        if (hist[op])
            printf("  %-18s %5d\n", yolo_op_name((enum yolo_op)op), hist[op]);
    if (fused[YOLO_ACT_SILU] || fused[YOLO_ACT_SIGMOID] || fused[YOLO_ACT_RELU])
        printf("  (Conv with fused activation: SiLU %d, Sigmoid %d, Relu %d)\n",
               fused[YOLO_ACT_SILU], fused[YOLO_ACT_SIGMOID], fused[YOLO_ACT_RELU]);

    uint64_t sum = 0, weights = 0;
    int32_t n_inter = 0, n_const = 0, n_alias = 0;
    for (int32_t t = 0; t < g->n_tensors; t++) {
        const struct yolo_tensor *T = &g->tensors[t];
        if (T->flags & YOLO_TF_CONST) {
            weights += yolo_tensor_bytes(T);
            n_const++;
        } else {
            sum += yolo_tensor_bytes(T);
            n_inter++;
            n_alias += (T->flags & YOLO_TF_ALIAS) != 0;
        }
    }
    printf("memory:\n");
    printf("  arena bytes            %12llu  (%.1f MiB; one context's activations)\n",
           (unsigned long long)g->arena_bytes, g->arena_bytes / 1048576.0);
    printf("  sum of intermediates   %12llu  (%.1f MiB; %d tensors, %d of them views; arena is %.1f%%)\n",
           (unsigned long long)sum, sum / 1048576.0, n_inter, n_alias,
           sum ? 100.0 * (double)g->arena_bytes / (double)sum : 0.0);
    printf("  weight bytes           %12llu  (%.1f MiB; %d constants, shared by every context)\n",
           (unsigned long long)weights, weights / 1048576.0, n_const);

    printf("sections:\n");
    for (int32_t i = 0; i < e->n_sections; i++) {
        printf("  ");
        print_tag(e->sections[i].tag);
        printf("  offset %10llu  bytes %10llu  crc32 %08x\n", (unsigned long long)e->sections[i].offset,
               (unsigned long long)e->sections[i].bytes, e->sections[i].crc32);
    }
    printf("metadata:\n");
    for (int32_t i = 0; i < e->n_meta; i++)
        printf("  %-22s %s\n", e->meta[i].key, e->meta[i].value);
    printf("labels: %d", e->n_labels);
    for (int32_t i = 0; i < e->n_labels && i < 5; i++)
        printf("%s%s", i ? ", " : " (", e->labels[i]);
    printf("%s\n", e->n_labels > 5 ? ", ...)" : e->n_labels ? ")" : "");

    if (show_nodes) {
        printf("graph:\n");
        for (int32_t i = 0; i < g->n_nodes; i++) {
            const struct yolo_node *n = &g->nodes[i];
            printf("  %4d %-10s %-40s", i, yolo_op_name(n->op), n->name);
            for (int k = 0; k < n->n_in; k++)
                printf(" %s", n->in[k] >= 0 ? g->tensors[n->in[k]].name : "-");
            printf(" ->");
            for (int k = 0; k < n->n_out; k++)
                printf(" %s", n->out[k] >= 0 ? g->tensors[n->out[k]].name : "-");
            printf("\n");
        }
    }
    yolo_engine_free(e);
    return 0;
}
