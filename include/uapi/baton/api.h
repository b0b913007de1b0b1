/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * api.h - the export macro and version of the baton public API.
 */
#ifndef _UAPI_BATON_API_H
#define _UAPI_BATON_API_H

/* Marks a function exported from libbaton.so (built -fvisibility=hidden). */
#if defined(__GNUC__)
# define BATON_API	__attribute__((visibility("default")))
#else
# define BATON_API
#endif

#define BATON_VERSION_MAJOR	0
#define BATON_VERSION_MINOR	1
#define BATON_VERSION_PATCH	0

#endif /* _UAPI_BATON_API_H */
