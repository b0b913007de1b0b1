// SPDX-License-Identifier: LGPL-2.1-or-later
// owner_access.cocci - make each access to an OWNER field of a client a
// call clang's thread-safety analysis checks: c->flags becomes
// client_owner_access(c)->flags (include/baton/client_internal.h).
// owner_access.py puts the field names in place of FIELDS (from
// ownership.py --fields baton_client:OWNER) and runs it with
// spatch --max-width 10000, so that every line keeps its number.

@owner@
expression E;
identifier f =~ "^(FIELDS)$";
@@
- E->f
+ client_owner_access(E)->f
