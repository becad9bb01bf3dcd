/* version.h - turnd's version string. */
#ifndef TURND_VERSION_H
#define TURND_VERSION_H
#define TURND_VERSION "0.1.0"
#endif
