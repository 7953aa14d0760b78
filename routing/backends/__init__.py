"""Every call into a solver library lives here: HiGHS through highspy (component LPs kept warm,
restricted LPs), scipy's ``linprog`` and OR-Tools' model builder (LP relaxations, MIPs on HiGHS, SCIP
and CP-SAT). The strategies above hand over sparse arrays and get numpy arrays back."""
