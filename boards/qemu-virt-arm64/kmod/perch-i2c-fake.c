// SPDX-License-Identifier: GPL-2.0
/*
 * perch-i2c-fake: a software I2C adapter named "testbed fake I2C" with plain I2C
 * (I2C_FUNC_I2C: combined transfers with repeated start, what I2C_RDWR needs; SMBus
 * through the core's emulation), serving register-pointer chips the way the sensors
 * Perch drives answer:
 *
 *   byte chips (BME280-like): 256 8-bit registers; a write [reg, d0, d1, ...] sets the
 *     pointer and stores d0.. at reg, reg+1, ...; reads return bytes from the pointer,
 *     incrementing it.
 *   word chips (TMP102-like): 16-bit registers; a write [reg] selects one, [reg, msb, lsb]
 *     also stores it, [reg, msb] fails with -EIO; reads return the selected register MSB
 *     first, repeated.
 *
 * The test writes a chip's registers over the bus itself before perch reads them, so
 * nothing is read-only here. An address without a chip NAKs with -ENXIO.
 *
 * Parameters:
 *   byte_chips=0x76       addresses of byte chips (up to 4)
 *   word_chips=0x48       addresses of word chips (up to 4)
 *   inject_errno=N        (writable at run time) the next transfer fails with -N:
 *                         110 ETIMEDOUT (a bus timeout), 121 EREMOTEIO, 5 EIO, ...
 */
#include <linux/i2c.h>
#include <linux/module.h>
#include <linux/mutex.h>

#define CHIPS 4
static unsigned short byte_chips[CHIPS] = {0x76};
static int byte_count = 1;
module_param_array(byte_chips, ushort, &byte_count, 0444);
static unsigned short word_chips[CHIPS] = {0x48};
static int word_count = 1;
module_param_array(word_chips, ushort, &word_count, 0444);
static int inject_errno;
module_param(inject_errno, int, 0644);

struct byte_chip { u8 regs[256]; u8 pointer; };
struct word_chip { u16 regs[256]; u8 pointer; };
static struct byte_chip bytes[CHIPS];
static struct word_chip words[CHIPS];
static DEFINE_MUTEX(lock);

static int transfer_byte_chip(struct byte_chip *chip, struct i2c_msg *msg)
{
	int i;

	if (msg->flags & I2C_M_RD) {
		for (i = 0; i < msg->len; i++)
			msg->buf[i] = chip->regs[chip->pointer++];
	} else if (msg->len) {
		chip->pointer = msg->buf[0];
		for (i = 1; i < msg->len; i++)
			chip->regs[chip->pointer++] = msg->buf[i];
	}
	return 0;
}

static int transfer_word_chip(struct word_chip *chip, struct i2c_msg *msg)
{
	int i;
	u16 value;

	if (msg->flags & I2C_M_RD) {
		value = chip->regs[chip->pointer];
		for (i = 0; i < msg->len; i++)
			msg->buf[i] = i % 2 ? value & 0xff : value >> 8;
		return 0;
	}
	if (msg->len >= 1)
		chip->pointer = msg->buf[0];
	if (msg->len >= 3)
		chip->regs[chip->pointer] = msg->buf[1] << 8 | msg->buf[2];
	/*
	 * [reg, msb] is half a register write: a TMP102 would take the pointer and drop the
	 * byte. Stricter here on purpose: a driver (Perch's or a test's loader) that sends
	 * half a word gets a bus error instead of later reading a register it believes it
	 * wrote.
	 */
	return msg->len == 2 ? -EIO : 0;
}

static int transfer_one(struct i2c_msg *msg)
{
	int i;

	if (msg->flags & I2C_M_TEN)
		return -EOPNOTSUPP;
	for (i = 0; i < byte_count; i++)
		if (byte_chips[i] == msg->addr)
			return transfer_byte_chip(&bytes[i], msg);
	for (i = 0; i < word_count; i++)
		if (word_chips[i] == msg->addr)
			return transfer_word_chip(&words[i], msg);
	return -ENXIO;
}

static int fake_xfer(struct i2c_adapter *adapter, struct i2c_msg *msgs, int num)
{
	int i, result = 0;

	mutex_lock(&lock);
	if (inject_errno > 0) {
		result = -inject_errno;
		inject_errno = 0;
	}
	for (i = 0; i < num && result == 0; i++)
		result = transfer_one(&msgs[i]);
	mutex_unlock(&lock);
	return result < 0 ? result : num;
}

static u32 fake_functionality(struct i2c_adapter *adapter)
{
	return I2C_FUNC_I2C | I2C_FUNC_SMBUS_EMUL;
}

static const struct i2c_algorithm fake_algorithm = {
	.master_xfer = fake_xfer,
	.functionality = fake_functionality,
};

static struct i2c_adapter fake_adapter = {
	.owner = THIS_MODULE,
	.class = I2C_CLASS_HWMON,
	.algo = &fake_algorithm,
	.name = "testbed fake I2C",
};

static int __init fake_init(void)
{
	return i2c_add_adapter(&fake_adapter);
}

static void __exit fake_exit(void)
{
	i2c_del_adapter(&fake_adapter);
}

module_init(fake_init);
module_exit(fake_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Perch test tier: software I2C adapter with register-pointer chips");
