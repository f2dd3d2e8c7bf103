//! Tests of the assessment on reports built from the captured fixtures
//! and on hand-made variations of them.
