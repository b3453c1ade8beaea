/* blink: toggles the board's LED every 500 ms, five times (or argv[1] times). */
#include <stdio.h>
#include <stdlib.h>

#include "perch.h"

int main(int argc, char **argv) {
    int blinks = argc > 1 ? atoi(argv[1]) : 5;
    perch_handle led;
    perch_status status = perch_gpio_open("LED", PERCH_GPIO_OUTPUT, &led);
    if (status != PERCH_OK) {
        printf("blink: cannot open LED (status %d)\n", (int)status);
        return 1;
    }
    for (int i = 0; i < blinks; i++) {
        perch_gpio_set(led, 1);
        printf("%lld ms: LED on\n", (long long)perch_monotonic_ms());
        perch_sleep_ms(500);
        perch_gpio_set(led, 0);
        printf("%lld ms: LED off\n", (long long)perch_monotonic_ms());
        perch_sleep_ms(500);
    }
    perch_gpio_close(led);
    return 0;
}
