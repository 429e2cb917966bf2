public enum CollectivesPlaceholder {}
