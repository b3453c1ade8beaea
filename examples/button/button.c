/* button: each press of BUTTON (a rising edge) toggles the LED; ends after 3 s without a
 * press. The module is suspended while it waits, so it costs nothing in between. */
#include <stdio.h>

#include "perch.h"

int main(void) {
    perch_handle button, led;
    perch_status status = perch_gpio_open("BUTTON", PERCH_GPIO_INPUT | PERCH_GPIO_PULL_DOWN | PERCH_GPIO_RISING_EDGE, &button);
    if (status != PERCH_OK) {
        printf("button: cannot open BUTTON (status %d)\n", (int)status);
        return 1;
    }
    status = perch_gpio_open("LED", PERCH_GPIO_OUTPUT, &led);
    if (status != PERCH_OK) {
        printf("button: cannot open LED (status %d)\n", (int)status);
        return 1;
    }
    int presses = 0;
    for (;;) {
        perch_gpio_event event;
        status = perch_gpio_wait_edge(button, PERCH_EDGE_RISING, 3000, &event);
        if (status == PERCH_TIMED_OUT) break;
        if (status != PERCH_OK) {
            printf("button: wait failed (status %d)\n", (int)status);
            return 1;
        }
        presses++;
        perch_gpio_toggle(led);
        uint32_t on = 0;
        perch_gpio_get(led, &on);
        printf("%llu ms: press %d, LED %s\n", (unsigned long long)(event.timestamp_ns / 1000000), presses, on ? "on" : "off");
    }
    printf("%lld ms: no press for 3 s, %d presses\n", (long long)perch_monotonic_ms(), presses);
    return 0;
}
