//! Compile-time checks of orbital's macros; the cases live in `pass/` and `fail/`.
