/* The smallest Perch guest: prints its arguments and one granted environment variable.
 *   perch run out/examples/hello.wasm a b          -> exit status 0
 *   perch run --env GREETING=hi out/examples/hello.wasm
 *   perch run out/examples/hello.wasm exit 7       -> exit status 7 (proc_exit) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    printf("hello from C on Perch\n");
    for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
    const char *greeting = getenv("GREETING");
    printf("GREETING is %s\n", greeting ? greeting : "not granted");
    if (argc > 2 && strcmp(argv[1], "exit") == 0) return atoi(argv[2]);
    return 0;
}
