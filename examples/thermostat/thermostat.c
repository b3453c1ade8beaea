/* thermostat: keeps the heater output (the board's LED line) on below 20.0 C and off
 * above 21.0 C, reading the TMP102 (sensor "temperature") once a second, ten times. */
#include <stdio.h>

#include "perch.h"

#define ON_BELOW_MILLI_C 20000
#define OFF_ABOVE_MILLI_C 21000

int main(void) {
    perch_handle sensor, heater;
    perch_status status = perch_sensor_open("temperature", &sensor);
    if (status != PERCH_OK) {
        printf("thermostat: cannot open sensor 'temperature' (status %d)\n", (int)status);
        return 1;
    }
    status = perch_gpio_open("LED", PERCH_GPIO_OUTPUT, &heater);
    if (status != PERCH_OK) {
        printf("thermostat: cannot open LED (status %d)\n", (int)status);
        return 1;
    }
    int on = 0;
    for (int i = 0; i < 10; i++) {
        int64_t milli_c;
        status = perch_sensor_read(sensor, PERCH_TEMPERATURE_MILLI_C, &milli_c);
        if (status != PERCH_OK) {
            printf("thermostat: read failed (status %d)\n", (int)status);
            return 1;
        }
        if (!on && milli_c < ON_BELOW_MILLI_C) on = 1;
        else if (on && milli_c > OFF_ABOVE_MILLI_C) on = 0;
        perch_gpio_set(heater, (uint32_t)on);
        printf("%lld ms: %lld.%03lld C, heater %s\n", (long long)perch_monotonic_ms(),
               (long long)(milli_c / 1000), (long long)((milli_c < 0 ? -milli_c : milli_c) % 1000), on ? "on" : "off");
        perch_sleep_ms(1000);
    }
    return 0;
}
