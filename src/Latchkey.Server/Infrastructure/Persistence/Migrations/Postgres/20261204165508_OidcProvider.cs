using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Server.Infrastructure.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class OidcProvider : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ClientId",
                table: "sessions",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "oidc_code_redemptions",
                columns: table => new
                {
                    CodeId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    AppId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    SessionId = table.Column<Guid>(type: "uuid", nullable: true),
                    RedeemedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_oidc_code_redemptions", x => x.CodeId);
                    table.ForeignKey(
                        name: "FK_oidc_code_redemptions_apps_AppId",
                        column: x => x.AppId,
                        principalTable: "apps",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "oidc_server_keys",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    WrappedSigningKey = table.Column<byte[]>(type: "bytea", nullable: false),
                    WrappedEncryptionKey = table.Column<byte[]>(type: "bytea", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_oidc_server_keys", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_oidc_code_redemptions_AppId",
                table: "oidc_code_redemptions",
                column: "AppId");

            migrationBuilder.CreateIndex(
                name: "IX_oidc_code_redemptions_ExpiresAt",
                table: "oidc_code_redemptions",
                column: "ExpiresAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "oidc_code_redemptions");

            migrationBuilder.DropTable(
                name: "oidc_server_keys");

            migrationBuilder.DropColumn(
                name: "ClientId",
                table: "sessions");
        }
    }
}
