/* The iptables chain names podctl writes (native default network) and cleans
 * up (a bridge plugin's ipMasq chain): the CNI plugins' names, bit for bit.
 * Expected values: Python's hashlib, ("CNI-" + prefix +
 * sha512(name + id).hexdigest())[:28], as plugins' FormatChainNameWithPrefix. */
#include "unit.h"

#include "net/net_int.h"

static void test_chain_names(void)
{
        char out[29];
        pc_net_chain_name("podctl",
                          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "DN-",
                          out);
        CHECK_STR(out, "CNI-DN-1e2f736d4cc05fa1ba571");
        pc_net_chain_name("cbr0", "a1b2c3", "", out);
        CHECK_STR(out, "CNI-ab5a7faa71189d222a124e63");
        CHECK(strlen(out) == 28);
}

int main(void)
{
        test_chain_names();
        UNIT_DONE();
}
