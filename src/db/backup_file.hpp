#pragma once
// The file a backup is written to, on either engine (internal to src/db/): a private temporary
// file beside the destination, put in place only once complete and checked, never over an
// existing file. A copy killed half-way never sits at the destination, where a SQLite hot
// journal would make it open as an empty database and a re-run would refuse it as existing.
#include <string>

namespace quicktools::db {

// Refuses (exit 4) when anything, even a dangling link, is at `dest`.
void refuse_existing_backup(const std::string& dest);

class PartialBackupFile {
public:
    // Creates DEST.partial-XXXXXX with mode 0600 (mkstemp): never readable by others, not even
    // for a moment.
    explicit PartialBackupFile(const std::string& dest);
    // Removes the file (and a SQLite journal beside it) unless it was published.
    ~PartialBackupFile();
    PartialBackupFile(const PartialBackupFile&) = delete;
    PartialBackupFile& operator=(const PartialBackupFile&) = delete;

    const std::string& path() const { return m_path; }

    // Puts the finished copy at `dest`, never over an existing file (link, then unlink; rename
    // after checking again on a file system without hard links).
    void publish(const std::string& dest);

private:
    std::string m_path;
};

}  // namespace quicktools::db
