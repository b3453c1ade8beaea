/* weather: reads the board's BME280 (sensor "climate") three times, a second apart. */
#include <stdio.h>

#include "perch.h"

static void print_milli(const char *prefix, int64_t milli, const char *unit) {
    int64_t magnitude = milli < 0 ? -milli : milli;
    printf("%s%s%lld.%03lld %s", prefix, milli < 0 ? "-" : "", (long long)(magnitude / 1000), (long long)(magnitude % 1000), unit);
}

int main(void) {
    perch_handle climate;
    perch_status status = perch_sensor_open("climate", &climate);
    if (status != PERCH_OK) {
        printf("weather: cannot open sensor 'climate' (status %d)\n", (int)status);
        return 1;
    }
    for (int i = 0; i < 3; i++) {
        int64_t temperature, pressure, humidity;
        if ((status = perch_sensor_read(climate, PERCH_TEMPERATURE_MILLI_C, &temperature)) != PERCH_OK ||
            (status = perch_sensor_read(climate, PERCH_PRESSURE_PA, &pressure)) != PERCH_OK ||
            (status = perch_sensor_read(climate, PERCH_HUMIDITY_MILLI_PERCENT, &humidity)) != PERCH_OK) {
            printf("weather: read failed (status %d)\n", (int)status);
            return 1;
        }
        printf("%lld ms:", (long long)perch_monotonic_ms());
        print_milli(" ", temperature, "C");
        printf(", %lld Pa", (long long)pressure);
        print_milli(", ", humidity, "%RH\n");
        perch_sleep_ms(1000);
    }
    return 0;
}
