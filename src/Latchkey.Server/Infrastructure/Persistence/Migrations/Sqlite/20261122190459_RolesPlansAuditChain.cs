using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Server.Infrastructure.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RolesPlansAuditChain : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "PlanExpiresAt",
                table: "users",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "PlanReminderSentFor",
                table: "users",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "Hash",
                table: "audit_records",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "PrevHash",
                table: "audit_records",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "Seq",
                table: "audit_records",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "app_roles",
                columns: table => new
                {
                    AppId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    Permissions = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_app_roles", x => new { x.AppId, x.Name });
                    table.ForeignKey(
                        name: "FK_app_roles_apps_AppId",
                        column: x => x.AppId,
                        principalTable: "apps",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "audit_heads",
                columns: table => new
                {
                    AppId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Seq = table.Column<long>(type: "INTEGER", nullable: false),
                    Hash = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_audit_heads", x => x.AppId);
                });

            migrationBuilder.CreateTable(
                name: "job_leases",
                columns: table => new
                {
                    Name = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Holder = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    LastRunAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_job_leases", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "user_roles",
                columns: table => new
                {
                    UserId = table.Column<Guid>(type: "TEXT", nullable: false),
                    RoleName = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    AppId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    AssignedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_user_roles", x => new { x.UserId, x.RoleName });
                    table.ForeignKey(
                        name: "FK_user_roles_app_roles_AppId_RoleName",
                        columns: x => new { x.AppId, x.RoleName },
                        principalTable: "app_roles",
                        principalColumns: new[] { "AppId", "Name" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_user_roles_users_UserId",
                        column: x => x.UserId,
                        principalTable: "users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_users_Plan_PlanExpiresAt",
                table: "users",
                columns: new[] { "Plan", "PlanExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_audit_records_AppId_Seq",
                table: "audit_records",
                columns: new[] { "AppId", "Seq" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_audit_records_AppId_TargetUserId",
                table: "audit_records",
                columns: new[] { "AppId", "TargetUserId" });

            migrationBuilder.CreateIndex(
                name: "IX_user_roles_AppId_RoleName",
                table: "user_roles",
                columns: new[] { "AppId", "RoleName" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "audit_heads");

            migrationBuilder.DropTable(
                name: "job_leases");

            migrationBuilder.DropTable(
                name: "user_roles");

            migrationBuilder.DropTable(
                name: "app_roles");

            migrationBuilder.DropIndex(
                name: "IX_users_Plan_PlanExpiresAt",
                table: "users");

            migrationBuilder.DropIndex(
                name: "IX_audit_records_AppId_Seq",
                table: "audit_records");

            migrationBuilder.DropIndex(
                name: "IX_audit_records_AppId_TargetUserId",
                table: "audit_records");

            migrationBuilder.DropColumn(
                name: "PlanExpiresAt",
                table: "users");

            migrationBuilder.DropColumn(
                name: "PlanReminderSentFor",
                table: "users");

            migrationBuilder.DropColumn(
                name: "Hash",
                table: "audit_records");

            migrationBuilder.DropColumn(
                name: "PrevHash",
                table: "audit_records");

            migrationBuilder.DropColumn(
                name: "Seq",
                table: "audit_records");
        }
    }
}
