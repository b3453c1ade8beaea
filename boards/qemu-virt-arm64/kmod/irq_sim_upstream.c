// SPDX-License-Identifier: GPL-2.0
// irq_sim is a built-in-only option upstream that Debian 12 does not select. Two names it
// uses are not exported to modules: irq_to_desc() appears only as
// handle_simple_irq(irq_to_desc(irq)), and the descriptor's flow handler is
// handle_simple_irq (set when the domain maps the irq), so generic_handle_irq_safe(irq)
// does the same through exported API.
#include <linux/module.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/irq_sim.h>
#include <linux/irq_work.h>
#include <linux/interrupt.h>
#include <linux/slab.h>
#define irq_to_desc(irq) (irq)
#define handle_simple_irq(irq) generic_handle_irq_safe(irq)
#include "upstream/kernel/irq/irq_sim.c"
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("irq_sim built out of tree for gpio-sim");
