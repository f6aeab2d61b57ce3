/** `check` and friends: 0 allow / success, 1 deny, 2 could not decide (any error). */
export const EXIT_ALLOW = 0;
export const EXIT_DENY = 1;
export const EXIT_UNDECIDED = 2;
