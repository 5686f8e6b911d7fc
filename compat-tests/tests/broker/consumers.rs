//! Consumer groups: clustering push consumers rebalancing on join and leave, the deprecated
//! DefaultMQPullConsumer, and tag-expression filtering.
