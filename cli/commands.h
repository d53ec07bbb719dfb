/* commands.h: the subcommands. Each takes the arguments after its name and returns the
 * process exit code: 0 ok, 1 runtime failure, 2 usage error. */
#ifndef YOLO_CLI_COMMANDS_H
#define YOLO_CLI_COMMANDS_H

int cmd_build(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_infer(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_video(int argc, char **argv);
int cmd_val(int argc, char **argv);
int cmd_merge(int argc, char **argv);

#endif
