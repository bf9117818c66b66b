//! Execution names.
//!
//! Step Functions treats a repeated `StartExecution` with the same name and input as the same
//! execution, so the name is derived from what identifies one delivery: the operation, the
//! document id and the revision. Names use only `[A-Za-z0-9_-]` (safe for CloudWatch logging
//! too) and are at most [`MAX_LEN`] characters.

use crosspost_core::{http::sha256_hex, Operation};

/// Step Functions' limit on execution names.
pub const MAX_LEN: usize = 80;

const ID_PREFIX_LEN: usize = 32;
const REV_LEN: usize = 24;

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

fn sanitize(s: &str, max: usize) -> String {
    s.chars()
        .map(|c| if is_name_char(c) { c } else { '-' })
        .take(max)
        .collect()
}

/// `<pub|unp>-<id prefix>-<sha256(id)[..12]>-<revision>`.
///
/// The id prefix is for people reading the console; the hash keeps two ids distinct even when
/// their prefixes agree. A revision that is not already short and clean is replaced by a hash,
/// so two revisions never share a name. The operation is part of the name because a delete
/// carries the revision of the last published version, which already named its publish.
pub fn execution_name(operation: Operation, document_id: &str, revision: &str) -> String {
    let op = match operation {
        Operation::Publish => "pub",
        Operation::Unpublish => "unp",
    };
    let id_hash = &sha256_hex(document_id.as_bytes())[..12];
    let clean_rev =
        !revision.is_empty() && revision.len() <= REV_LEN && revision.chars().all(is_name_char);
    let rev = if clean_rev {
        revision.to_string()
    } else {
        format!("h{}", &sha256_hex(revision.as_bytes())[..20])
    };
    format!(
        "{op}-{}-{id_hash}-{rev}",
        sanitize(document_id, ID_PREFIX_LEN)
    )
}

/// Whether `name` is a valid execution name under our rules.
pub fn is_valid(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_LEN && name.chars().all(is_name_char)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn readable_examples() {
        let n = execution_name(Operation::Publish, "post-42", "Xk9rT2");
        assert!(n.starts_with("pub-post-42-"), "{n}");
        assert!(n.ends_with("-Xk9rT2"), "{n}");
        assert_eq!(
            execution_name(Operation::Publish, "drafts.a/b", "r").len(),
            "pub-drafts-a-b-".len() + 12 + 2
        );
    }

    proptest! {
        #[test]
        fn names_are_valid_and_stable(id in "\\PC{0,200}", rev in "\\PC{0,100}") {
            let a = execution_name(Operation::Publish, &id, &rev);
            prop_assert!(is_valid(&a), "{a}");
            prop_assert_eq!(&a, &execution_name(Operation::Publish, &id, &rev));
            prop_assert_ne!(&a, &execution_name(Operation::Unpublish, &id, &rev));
        }

        #[test]
        fn different_revisions_give_different_names(id in "[a-z.-]{1,60}", r1 in "\\PC{1,40}", r2 in "\\PC{1,40}") {
            prop_assume!(r1 != r2);
            prop_assert_ne!(
                execution_name(Operation::Publish, &id, &r1),
                execution_name(Operation::Publish, &id, &r2)
            );
        }

        #[test]
        fn different_ids_give_different_names(a in "\\PC{1,60}", b in "\\PC{1,60}") {
            prop_assume!(a != b);
            prop_assert_ne!(
                execution_name(Operation::Publish, &a, "r1"),
                execution_name(Operation::Publish, &b, "r1")
            );
        }
    }
}
