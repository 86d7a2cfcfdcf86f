#pragma once
// SwiftPM drops pkg-config's -D flags: the wide-character API needs these before <curses.h>.
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <curses.h>

// Swift 6 rejects C mutable globals and cannot import function-like macros: accessors instead.
static inline WINDOW *omni_stdscr(void) { return stdscr; }
static inline int omni_lines(void) { return LINES; }
static inline int omni_cols(void) { return COLS; }
static inline int omni_colors(void) { return COLORS; }
static inline int omni_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t omni_color_pair(int n) { return COLOR_PAIR(n); }

// Pseudo-terminals (the studio's in-process UI benchmark and ncurses test): <stdlib.h> declares these only
// under _XOPEN_SOURCE, which Swift's Glibc module is not built with.
extern int posix_openpt(int flags);
extern int grantpt(int fd);
extern int unlockpt(int fd);
extern char *ptsname(int fd);
static inline int omni_posix_openpt(int flags) { return posix_openpt(flags); }
static inline int omni_grantpt(int fd) { return grantpt(fd); }
static inline int omni_unlockpt(int fd) { return unlockpt(fd); }
static inline char *omni_ptsname(int fd) { return ptsname(fd); }
