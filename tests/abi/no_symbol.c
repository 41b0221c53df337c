/* A shared object without a descriptor symbol. */
int bh_abi_test_not_a_plugin(void);
int bh_abi_test_not_a_plugin(void)
{
	return 42;
}
