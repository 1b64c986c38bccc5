// Package backoff computes full-jitter exponential backoff delays ("Exponential Backoff And Jitter",
// AWS Architecture Blog): the n-th retry sleeps a uniformly random duration in
// [0, min(Max, Min*2^(n-1))]. It is pure: no clocks, no sleeping, and the random source is injectable.
package backoff
