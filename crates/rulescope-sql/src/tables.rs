//! What the tables of the armory's Snowflake rules hold.

/// A human label for the data a table holds, for the tables the armory's Snowflake rules
/// read; `None` for any other table. Case and quoting do not matter, and a schema-qualified
/// name matches on its table part unless it is Snowflake's own `account_usage` schema.
pub fn data_source_for_table(name: &str) -> Option<&'static str> {
    let folded: String = name
        .chars()
        .filter(|c| *c != '"')
        .collect::<String>()
        .to_ascii_lowercase();
    if folded.ends_with("account_usage.query_history") {
        return Some("Snowflake query history");
    }
    let table = folded.rsplit('.').next().unwrap_or(&folded);
    Some(match table {
        "crowdstrikefdr_process" => "EDR process events (CrowdStrike Falcon Data Replicator)",
        "awscloudtrail" => "AWS CloudTrail",
        "okta" => "Okta system log",
        "cloudflare_waf" => "Cloudflare web application firewall",
        "gcpaudit" => "Google Cloud audit logs",
        "gsuite" => "Google Workspace activity",
        "vpcflow" => "AWS VPC flow logs",
        "awswaf" => "AWS web application firewall",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_tables() {
        assert_eq!(
            data_source_for_table("snowflake.account_usage.query_history"),
            Some("Snowflake query history")
        );
        assert_eq!(
            data_source_for_table("DB.PUBLIC.\"OKTA\""),
            Some("Okta system log")
        );
        assert_eq!(data_source_for_table("query_history"), None);
        assert_eq!(data_source_for_table("sales"), None);
    }
}
